-- Finish jobs that succeeded. Only the current lease owner may finish a job: a job whose lease
-- expired and was handed to another process is left alone.
-- KEYS: 1 leased ZSET, 2 minute stats HASH
-- ARGV: 1 prefix, 2 owner, 3 now_ms, then job ids
-- Returns the number of jobs finished.
local prefix, owner, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local done = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  if redis.call('HGET', jk, 'owner') == owner and redis.call('HGET', jk, 'state') == 'running' then
    redis.call('ZREM', KEYS[1], id)
    local group = redis.call('HGET', jk, 'group')
    if group then redis.call('SREM', prefix .. 'group:' .. group, id) end
    local retain = tonumber(redis.call('HGET', jk, 'retain_ms')) or 86400000
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
