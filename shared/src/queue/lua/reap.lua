-- Hand jobs whose lease expired (their process crashed or stalled) back to the ready list, or to
-- the dead letters when that was their last attempt (attempts are counted when leased, so a job
-- that crashes its process cannot loop forever).
-- KEYS: 1 leased ZSET, 2 ready LIST, 3 wake LIST, 4 dead_all ZSET, 5 dead ZSET (queue)
-- ARGV: 1 prefix, 2 limit, 3 max attempts of jobs that set none
-- Returns {requeued, buried}. Lease expiry is judged by Redis time, never a worker's clock.
local now = now_ms()
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local requeued, buried = 0, 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local jk = prefix .. 'job:' .. id
  if redis.call('HGET', jk, 'state') == 'running' then
    local attempts = tonumber(redis.call('HGET', jk, 'attempts')) or 0
    local maxa = tonumber(redis.call('HGET', jk, 'max_attempts')) or tonumber(ARGV[3]) or 1
    local owner = redis.call('HGET', jk, 'owner') or '?'
    redis.call('RPUSH', jk .. ':errors', cjson.encode({at_ms = now, attempt = attempts,
      class = 'lease_expired', message = 'lease expired: process ' .. owner .. ' stopped renewing it'}))
    redis.call('LTRIM', jk .. ':errors', -50, -1)
    redis.call('HDEL', jk, 'owner')
    if attempts >= maxa then
      redis.call('HSET', jk, 'state', 'dead', 'dead_ms', now)
      local group = redis.call('HGET', jk, 'group')
      if group then redis.call('SREM', prefix .. 'group:' .. group, id) end
      redis.call('ZADD', KEYS[4], now, id)
      redis.call('ZADD', KEYS[5], now, id)
      buried = buried + 1
    else
      redis.call('HSET', jk, 'state', 'ready', 'enq_ms', now)
      redis.call('LPUSH', KEYS[2], id)
      requeued = requeued + 1
    end
  end
end
if requeued > 0 then wake_up(KEYS[3]) end
return {requeued, buried}
