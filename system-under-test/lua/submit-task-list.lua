-- Planted bug `brpop-queue` (seed 004): like submit-task.lua, but jobs go on a plain list
-- (LPUSH, consumed with BRPOP): no acknowledgement, so a crashed worker loses its job.
-- KEYS[1] task hash, KEYS[2] job list (sut:queue), KEYS[3 .. 2+n] job hashes,
-- KEYS[3+n] idempotency key (only when ARGV[4] is not '')
-- ARGV[1] taskId, ARGV[2] description, ARGV[3] priority, ARGV[4] idempotencyKey or '',
-- ARGV[5] jobIds as a JSON array, then per job: jobId, payload JSON, timeoutMs
-- Returns {created (1|0), taskId, jobIds JSON}.

local taskKey, listKey = KEYS[1], KEYS[2]
local taskId, idem, jobIdsJson = ARGV[1], ARGV[4], ARGV[5]
local n = (#ARGV - 5) / 3
local idemKey = KEYS[3 + n]

-- A retried request (same Idempotency-Key) creates nothing and answers with the first task.
if idem ~= '' then
  local existing = redis.call('GET', idemKey)
  if existing then
    -- the task key is derived, not declared: fine on a single Redis, which is all we run
    return {0, existing, redis.call('HGET', 'sut:task:' .. existing, 'jobIds') or '[]'}
  end
end
-- ioredis resends a command whose reply was lost in a reconnect: never write a task twice
-- (that would reset its jobs to queued).
if redis.call('EXISTS', taskKey) == 1 then
  return {0, taskId, redis.call('HGET', taskKey, 'jobIds')}
end

local t = redis.call('TIME')
local now = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))

redis.call('HSET', taskKey, 'id', taskId, 'description', ARGV[2], 'priority', ARGV[3],
  'idempotencyKey', idem, 'jobIds', jobIdsJson, 'createdAt', now)
for i = 0, n - 1 do
  local jobId, payload, timeoutMs = ARGV[6 + 3 * i], ARGV[7 + 3 * i], ARGV[8 + 3 * i]
  redis.call('HSET', KEYS[3 + i], 'id', jobId, 'taskId', taskId, 'index', i, 'state', 'queued',
    'payload', payload, 'timeoutMs', timeoutMs, 'attempt', 0, 'exitCode', '', 'output', '',
    'reason', '', 'durationMs', '', 'updatedAt', now)
  redis.call('LPUSH', listKey, jobId)
end
if idem ~= '' then
  redis.call('SET', idemKey, taskId)
end
return {1, taskId, jobIdsJson}
