-- Move due delayed jobs (scheduled or retrying) to the ready list, at most `limit` per call.
-- A job deferred by backpressure (`held`) keeps its enq_ms: it has been waiting all along.
-- Every worker runs this several times a second per queue, mostly with nothing due: the head of
-- the delayed ZSET is read first, and an empty ZSET costs no clock read. Due jobs leave the
-- ZSET, the retrying SET and enter the ready list in one command each for the whole batch.
-- KEYS: 1 delayed ZSET, 2 ready LIST, 3 wake LIST, 4 retrying SET
-- ARGV: 1 prefix, 2 limit
-- Returns {moved, ms until the next delayed job is due (0 if due now) or -1 if none}.
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if not head[2] then return {0, -1} end
local now = now_ms()
if tonumber(head[2]) > now then return {0, tonumber(head[2]) - now} end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
call_batched('ZREM', KEYS[1], ids)
call_batched('SREM', KEYS[4], ids)
local ready = {}
for _, id in ipairs(ids) do
  local jk = prefix .. 'job:' .. id
  local f = redis.call('HMGET', jk, 'state', 'held')
  if f[1] then
    if f[2] then
      redis.call('HSET', jk, 'state', 'ready')
      redis.call('HDEL', jk, 'held')
    else
      redis.call('HSET', jk, 'state', 'ready', 'enq_ms', now)
    end
    ready[#ready + 1] = id
  end
end
call_batched('RPUSH', KEYS[2], ready)
if #ready > 0 then wake_up(KEYS[3]) end
head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local next_due = -1
if head[2] then next_due = math.max(0, tonumber(head[2]) - now) end
return {#ready, next_due}
