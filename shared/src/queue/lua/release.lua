-- Give back leased jobs that never started (graceful shutdown), without spending an attempt.
-- KEYS: 1 leased ZSET, 2 ready LIST, 3 wake LIST
-- ARGV: 1 prefix, then pairs of job id and lease token
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = ARGV[1]
local n = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
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
if n > 0 and redis.call('LLEN', KEYS[3]) == 0 then redis.call('RPUSH', KEYS[3], '1') end
return n
