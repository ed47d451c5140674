-- Finish jobs that succeeded. Only the lease named by its token may finish a job: a job whose
-- lease expired (handed back, or leased again, even by this process) is left alone.
-- KEYS: 1 leased ZSET, 2 minute stats HASH
-- ARGV: 1 prefix, then pairs of job id and lease token
-- Returns the number of jobs finished; the rest were stale outcomes.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = ARGV[1]
local done = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  local f = redis.call('HMGET', jk, 'state', 'token', 'group', 'retain_ms')
  if f[1] == 'running' and f[2] == ARGV[i + 1] then
    redis.call('ZREM', KEYS[1], id)
    if f[3] then redis.call('SREM', prefix .. 'group:' .. f[3], id) end
    local retain = tonumber(f[4]) or 86400000
    redis.call('HDEL', jk, 'payload', 'owner')
    redis.call('HSET', jk, 'state', 'done', 'done_ms', now)
    redis.call('DEL', jk .. ':errors')
    if retain > 0 then redis.call('PEXPIRE', jk, retain) else redis.call('DEL', jk) end
    done = done + 1
  end
end
if done > 0 then
  redis.call('HINCRBY', KEYS[2], 'processed', done)
  redis.call('EXPIRE', KEYS[2], 7200)
end
return done
