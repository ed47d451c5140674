-- Give back leased jobs that never started (graceful shutdown), without spending an attempt.
-- KEYS: 1 leased ZSET, 2 ready LIST, 3 wake LIST, then each job's HASH
-- ARGV: pairs of job id and lease token
local now = now_ms()
local n = 0
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  local jk = KEYS[(i + 1) / 2 + 3]
  local f = redis.call('HMGET', jk, 'state', 'token')
  if f[1] == 'running' and f[2] == ARGV[i + 1] then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HINCRBY', jk, 'attempts', -1)
    redis.call('HDEL', jk, 'owner')
    redis.call('HSET', jk, 'state', 'ready', 'enq_ms', now)
    redis.call('LPUSH', KEYS[2], id)
    n = n + 1
  end
end
if n > 0 then wake_up(KEYS[3]) end
return n
