-- Cancel pending (ready, delayed or retrying) jobs by id. Running, done and dead jobs are left.
-- The caller read each job's queue and group first and declares their keys; a job whose hash no
-- longer names them (deleted and enqueued again meanwhile) is left alone.
-- KEYS: 6 per job: its HASH, its errors LIST, its queue's ready LIST, delayed ZSET and retrying
--       SET, its group SET (its own HASH again when it has no group)
-- ARGV: 3 per job: id, queue, group ("" = none)
-- Returns the number cancelled.
local n = 0
for i = 1, #ARGV, 3 do
  local id, queue, group = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local k = (i - 1) / 3 * 6
  local jk = KEYS[k + 1]
  local f = redis.call('HMGET', jk, 'state', 'queue', 'group')
  local state = f[1]
  if (state == 'ready' or state == 'delayed' or state == 'retrying') and f[2] == queue
      and (f[3] or '') == group then
    if state == 'ready' then redis.call('LREM', KEYS[k + 3], 1, id) end
    redis.call('ZREM', KEYS[k + 4], id)
    redis.call('SREM', KEYS[k + 5], id)
    if group ~= '' then redis.call('SREM', KEYS[k + 6], id) end
    redis.call('DEL', jk, KEYS[k + 2])
    n = n + 1
  end
end
return n
