-- Planted bug `lww-status`: the last event to arrive wins. No state machine: a late
-- `running` overwrites `completed`. Same keys, arguments and log format as apply-event.lua,
-- so only the decision differs.
-- KEYS[1] job hash, KEYS[2] running set, KEYS[3] running info hash, KEYS[4] translog,
-- KEYS[5] events stream
-- ARGV[1] eventId, ARGV[2] consumer group, ARGV[3] '1' to XACK the event, ARGV[4] keeper id,
-- ARGV[5] running info TTL ms, ARGV[6..15] event: jobId type source sourceId attempt seq
-- exitCode output reason durationMs

local jobKey, runningKey, infoKey, translogKey, eventsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local eventId, group, ack, keeper, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ev = {
  jobId = ARGV[6], type = ARGV[7], source = ARGV[8], sourceId = ARGV[9], attempt = ARGV[10],
  seq = ARGV[11], exitCode = ARGV[12], output = ARGV[13], reason = ARGV[14], durationMs = ARGV[15],
}

local t = redis.call('TIME')
local now = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))

local from = redis.call('HGET', jobKey, 'state')
local decision, reason, to
if not from then
  from, to, decision, reason = 'none', 'none', 'ignored', 'unknown-job'
elseif from == ev.type then
  -- writing the state it already has changes nothing: not a transition
  to, decision, reason = from, 'ignored', 'duplicate'
else
  to, decision, reason = ev.type, 'applied', 'ok'
  redis.call('HSET', jobKey, 'state', to, 'updatedAt', now)
  if ev.attempt ~= '' then
    redis.call('HSET', jobKey, 'attempt', ev.attempt)
  end
  if to == 'running' then
    redis.call('SADD', runningKey, ev.jobId)
    redis.call('HSET', infoKey, 'sourceId', ev.sourceId, 'attempt', ev.attempt, 'startedAt', now)
    redis.call('PEXPIRE', infoKey, ttl)
  else
    redis.call('HSET', jobKey, 'exitCode', ev.exitCode, 'output', ev.output, 'reason', ev.reason,
      'durationMs', ev.durationMs)
    redis.call('SREM', runningKey, ev.jobId)
    redis.call('DEL', infoKey)
  end
end

redis.call('XADD', translogKey, '*', 'jobId', ev.jobId, 'eventId', eventId, 'type', ev.type,
  'source', ev.source, 'sourceId', ev.sourceId, 'attempt', ev.attempt, 'from', from, 'to', to,
  'decision', decision, 'reason', reason, 'keeper', keeper, 'exitCode', ev.exitCode,
  'output', ev.output)

if ack == '1' then
  redis.call('XACK', eventsKey, group, eventId)
end
return { decision, reason, from, to }
