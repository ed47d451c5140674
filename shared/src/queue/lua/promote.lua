-- Move due delayed jobs (scheduled or retrying) to the ready list, at most `limit` per call.
-- A job deferred by backpressure (`held`) keeps its enq_ms: it has been waiting all along.
-- KEYS: 1 delayed ZSET, 2 ready LIST, 3 wake LIST, 4 retrying SET
-- ARGV: 1 prefix, 2 limit
-- Returns {moved, ms until the next delayed job is due (0 if due now) or -1 if none}.
local now = now_ms()
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local moved = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('SREM', KEYS[4], id)
  local jk = prefix .. 'job:' .. id
  local f = redis.call('HMGET', jk, 'state', 'held')
  if f[1] then
    if f[2] then
      redis.call('HSET', jk, 'state', 'ready')
      redis.call('HDEL', jk, 'held')
    else
      redis.call('HSET', jk, 'state', 'ready', 'enq_ms', now)
    end
    redis.call('RPUSH', KEYS[2], id)
    moved = moved + 1
  end
end
if moved > 0 then wake_up(KEYS[3]) end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local next_due = -1
if head[2] then next_due = math.max(0, tonumber(head[2]) - now) end
return {moved, next_due}
