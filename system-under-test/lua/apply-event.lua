-- Applies one job event with the state machine, in one atomic step: decide, write the
-- job, keep the running set, log the decision, acknowledge the event.
-- KEYS[1] job hash, KEYS[2] running set, KEYS[3] running info hash, KEYS[4] translog,
-- KEYS[5] events stream
-- ARGV[1] eventId, ARGV[2] consumer group, ARGV[3] '1' to XACK the event, ARGV[4] keeper id,
-- ARGV[5] running info TTL ms, ARGV[6..15] event: jobId type source sourceId attempt seq
-- exitCode output reason durationMs
-- Returns {decision, reason, from, to} of the event's own decision.

local jobKey, runningKey, infoKey, translogKey, eventsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local eventId, group, ack, keeper, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ev = {
  jobId = ARGV[6], type = ARGV[7], source = ARGV[8], sourceId = ARGV[9], attempt = ARGV[10],
  seq = ARGV[11], exitCode = ARGV[12], output = ARGV[13], reason = ARGV[14], durationMs = ARGV[15],
}

local TERMINAL = { completed = true, failed = true, cancelled = true }
local TARGET = { running = 'running', completed = 'completed', failed = 'failed', cancelled = 'cancelled' }
local LEGAL = {
  queued = { running = true, failed = true, cancelled = true },
  running = { completed = true, failed = true, cancelled = true },
}

local t = redis.call('TIME')
local now = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))

local function log(e, from, to, decision, reason)
  redis.call('XADD', translogKey, '*', 'jobId', ev.jobId, 'eventId', eventId, 'type', e.type,
    'source', e.source, 'sourceId', e.sourceId, 'attempt', e.attempt, 'from', from, 'to', to,
    'decision', decision, 'reason', reason, 'keeper', keeper, 'exitCode', e.exitCode or '',
    'output', e.output or '')
end

-- Writes the new state; the job's attempt is the highest attempt of any applied event.
local function apply(e, to)
  redis.call('HSET', jobKey, 'state', to, 'updatedAt', now)
  local attempt = tonumber(e.attempt)
  if attempt and attempt > (tonumber(redis.call('HGET', jobKey, 'attempt')) or 0) then
    redis.call('HSET', jobKey, 'attempt', e.attempt)
  end
  if to == 'running' then
    redis.call('SADD', runningKey, ev.jobId)
    redis.call('HSET', infoKey, 'sourceId', e.sourceId, 'attempt', e.attempt, 'startedAt', now)
    redis.call('PEXPIRE', infoKey, ttl)
  else
    redis.call('HSET', jobKey, 'exitCode', e.exitCode, 'output', e.output, 'reason', e.reason,
      'durationMs', e.durationMs)
    redis.call('SREM', runningKey, ev.jobId)
    redis.call('DEL', infoKey)
  end
end

local from = redis.call('HGET', jobKey, 'state')
local to = TARGET[ev.type]
local decision, reason, after
if not from then
  from, after, decision, reason = 'none', 'none', 'ignored', 'unknown-job'
elseif TERMINAL[from] then
  after, decision, reason = from, 'ignored', 'stale-terminal'
elseif from == 'running' and to == 'running' then
  after, decision, reason = from, 'ignored', 'duplicate'
elseif from == 'queued' and to == 'completed' then
  -- The outcome overtook its running event (two keepers, or a reclaimed event): the job
  -- did run, so record the implied queued->running (source keeper), then the outcome.
  local implied = { type = 'running', source = 'keeper', sourceId = keeper, attempt = ev.attempt }
  apply(implied, 'running')
  log(implied, 'queued', 'running', 'applied', 'ok')
  from = 'running'
  apply(ev, to)
  after, decision, reason = to, 'applied', 'ok'
elseif to and LEGAL[from] and LEGAL[from][to] then
  apply(ev, to)
  after, decision, reason = to, 'applied', 'ok'
else
  after, decision, reason = from, 'ignored', 'illegal'
end
log(ev, from, after, decision, reason)

if ack == '1' then
  redis.call('XACK', eventsKey, group, eventId)
end
return { decision, reason, from, after }
