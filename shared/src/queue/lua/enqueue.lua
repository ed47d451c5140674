-- Enqueue jobs; an id that already exists is a duplicate (no-op).
-- KEYS: 1 ready LIST, 2 delayed ZSET, 3 wake LIST, 4 queues SET, 5 dead_all ZSET, 6 dead ZSET,
--       then per job: its HASH, its errors LIST when burying, its group SET when it has a group
-- ARGV: 1 queue, 2 state for new jobs ("" = by run_at, "dead" = bury), 3 bury error JSON (or ""),
--       then 6 per job: id, payload, run_at_ms (0 = now, by Redis time), group ("" = none),
--       max_attempts ("" = the queue's), retain_ms
-- Returns one integer per job: 1 created, 0 duplicate.
local now = now_ms()
local queue, forced, bury_err = ARGV[1], ARGV[2], ARGV[3]
redis.call('SADD', KEYS[4], queue)
local out, pushed = {}, 0
local k = 7
for i = 4, #ARGV, 6 do
  local id, payload, run_at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local group, maxa, retain = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local jk = KEYS[k]
  k = k + 1
  local ek, gk
  if forced == 'dead' then ek = KEYS[k]; k = k + 1 end
  if group ~= '' then gk = KEYS[k]; k = k + 1 end
  if run_at == 0 then run_at = now end
  if redis.call('EXISTS', jk) == 1 then
    out[#out + 1] = 0
  else
    local state = 'ready'
    if forced == 'dead' then state = 'dead' elseif run_at > now then state = 'delayed' end
    redis.call('HSET', jk, 'queue', queue, 'payload', payload, 'state', state, 'attempts', 0,
      'max_attempts', maxa, 'created_ms', now, 'enq_ms', now, 'run_at_ms', run_at, 'retain_ms', retain)
    if gk then
      redis.call('HSET', jk, 'group', group)
      if state ~= 'dead' then redis.call('SADD', gk, id) end
    end
    if state == 'dead' then
      redis.call('HSET', jk, 'dead_ms', now)
      redis.call('RPUSH', ek, bury_err)
      redis.call('ZADD', KEYS[5], now, id)
      redis.call('ZADD', KEYS[6], now, id)
    elseif state == 'delayed' then
      redis.call('ZADD', KEYS[2], run_at, id)
    else
      redis.call('RPUSH', KEYS[1], id)
      pushed = pushed + 1
    end
    out[#out + 1] = 1
  end
end
if pushed > 0 then wake_up(KEYS[3]) end
return out
