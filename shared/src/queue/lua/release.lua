-- Give back leased jobs that never started (graceful shutdown), without spending an attempt.
-- KEYS: 1 leased ZSET, 2 ready LIST, 3 wake LIST
-- ARGV: 1 prefix, 2 owner, 3 now_ms, then job ids
local prefix, owner, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local n = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  if redis.call('HGET', jk, 'owner') == owner and redis.call('HGET', jk, 'state') == 'running' then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HINCRBY', jk, 'attempts', -1)
    redis.call('HDEL', jk, 'owner')
    redis.call('HSET', jk, 'state', 'ready', 'enq_ms', now)
    redis.call('LPUSH', KEYS[2], id)
    n = n + 1
  end
end
if n > 0 and redis.call('LLEN', KEYS[3]) == 0 then redis.call('RPUSH', KEYS[3], '1') end
return n
