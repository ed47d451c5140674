-- Record a failed attempt; schedule a retry or move the job to the dead letters. Or defer it
-- (backpressure: a rate limit reserved it a later slot): delayed to the slot, no error entry, the
-- attempt given back, `held` set so that promotion keeps its enq_ms.
-- KEYS: 1 leased ZSET, 2 delayed ZSET, 3 retrying SET, 4 dead_all ZSET, 5 dead ZSET (queue),
--       6 minute stats HASH
-- ARGV: 1 prefix, 2 lease token, 3 id, 4 attempt, 5 error class, 6 error message,
--       7 mode ("retry" | "dead" | "defer"), 8 retry (or defer) delay ms, 9 consume attempt (1|0),
--       10 dead max count (of this queue), 11 dead max age ms, 12 max attempts of jobs that set none
-- Returns "deferred", "retry", "dead", "dead:<trimmed by count>:<trimmed by age>" or "stale" (not this lease
-- any more: expired, handed back or leased again, even by this process).
local now = now_ms()
local prefix, id = ARGV[1], ARGV[3]
local jk = prefix .. 'job:' .. id
local f = redis.call('HMGET', jk, 'state', 'token')
if f[1] ~= 'running' or f[2] ~= ARGV[2] then return 'stale' end
redis.call('ZREM', KEYS[1], id)
if ARGV[7] == 'defer' then
  local run_at = now + tonumber(ARGV[8])
  redis.call('HINCRBY', jk, 'attempts', -1)
  redis.call('HDEL', jk, 'owner')
  redis.call('HSET', jk, 'state', 'delayed', 'run_at_ms', run_at, 'held', '1')
  redis.call('ZADD', KEYS[2], run_at, id)
  return 'deferred'
end
redis.call('RPUSH', jk .. ':errors', cjson.encode({at_ms = now, attempt = tonumber(ARGV[4]),
  class = ARGV[5], message = ARGV[6]}))
redis.call('LTRIM', jk .. ':errors', -50, -1)
if ARGV[9] == '0' then redis.call('HINCRBY', jk, 'attempts', -1) end
local attempts = tonumber(redis.call('HGET', jk, 'attempts')) or 0
local maxa = tonumber(redis.call('HGET', jk, 'max_attempts')) or tonumber(ARGV[12]) or 1
redis.call('HDEL', jk, 'owner')
if ARGV[7] == 'retry' and (attempts < maxa or ARGV[9] == '0') then
  local run_at = now + tonumber(ARGV[8])
  redis.call('HSET', jk, 'state', 'retrying', 'run_at_ms', run_at)
  redis.call('ZADD', KEYS[2], run_at, id)
  redis.call('SADD', KEYS[3], id)
  redis.call('HINCRBY', KEYS[6], 'retried', 1)
  redis.call('EXPIRE', KEYS[6], 7200)
  return 'retry'
end
local group = redis.call('HGET', jk, 'group')
if group then redis.call('SREM', prefix .. 'group:' .. group, id) end
redis.call('HSET', jk, 'state', 'dead', 'dead_ms', now)
redis.call('ZADD', KEYS[4], now, id)
redis.call('ZADD', KEYS[5], now, id)
redis.call('HINCRBY', KEYS[6], 'dead', 1)
redis.call('HINCRBY', KEYS[6], 'failed', 1)
redis.call('EXPIRE', KEYS[6], 7200)
-- Bound the dead-letter store: this queue's oldest beyond its count (another queue's flood never
-- evicts them), and anything older than the max age.
local by_count, by_age = 0, 0
local function drop(victim)
  local vk = prefix .. 'job:' .. victim
  local q = redis.call('HGET', vk, 'queue')
  if q then redis.call('ZREM', prefix .. 'q:' .. q .. ':dead', victim) end
  redis.call('ZREM', KEYS[4], victim)
  redis.call('DEL', vk, vk .. ':errors')
end
local excess = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[10])
if excess > 0 then
  for _, victim in ipairs(redis.call('ZRANGE', KEYS[5], 0, math.min(excess, 100) - 1)) do
    drop(victim)
    by_count = by_count + 1
  end
end
for _, victim in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[11]), 'LIMIT', 0, 100)) do
  drop(victim)
  by_age = by_age + 1
end
if by_count + by_age > 0 then return 'dead:' .. by_count .. ':' .. by_age end
return 'dead'
