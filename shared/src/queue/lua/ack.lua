-- Finish jobs that succeeded. Only the lease named by its token may finish a job: a job whose
-- lease expired (handed back, or leased again, even by this process) is left alone.
-- KEYS: 1 leased ZSET, 2 minute stats HASH, then 3 per job: its HASH, its errors LIST, its group
--       SET (its own HASH again when it has no group)
-- ARGV: 3 per job: id, lease token, group ("" = none)
-- Returns the number of jobs finished; the rest were stale outcomes.
local now = now_ms()
local done = 0
for i = 1, #ARGV, 3 do
  local id, token, group = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local jk = KEYS[i + 2]
  local f = redis.call('HMGET', jk, 'state', 'token', 'retain_ms')
  if f[1] == 'running' and f[2] == token then
    redis.call('ZREM', KEYS[1], id)
    if group ~= '' then redis.call('SREM', KEYS[i + 4], id) end
    local retain = tonumber(f[3]) or 86400000
    -- A finished job is not "possibly sent" (SMS jobs set `possibly_sent` while a send's outcome
    -- is unknown): cleared here, in the write the ack makes anyway.
    redis.call('HDEL', jk, 'payload', 'owner', 'possibly_sent')
    redis.call('HSET', jk, 'state', 'done', 'done_ms', now)
    redis.call('DEL', KEYS[i + 3])
    if retain > 0 then redis.call('PEXPIRE', jk, retain) else redis.call('DEL', jk) end
    done = done + 1
  end
end
-- The minute's counter hash gets its TTL from whichever script creates it (each writer sets it
-- in the same atomic step as its first increment), so a later ack of the minute need not set it
-- again: only the first count of `processed` in the minute does.
if done > 0 and redis.call('HINCRBY', KEYS[2], 'processed', done) == done then
  redis.call('EXPIRE', KEYS[2], 7200)
end
return done
