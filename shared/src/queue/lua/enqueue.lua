-- Enqueue jobs; an id that already exists is a duplicate (no-op).
-- KEYS: 1 ready LIST, 2 delayed ZSET, 3 wake LIST, 4 queues SET
-- ARGV: 1 key prefix "{ns}:", 2 queue, 3 now_ms, 4 state for new jobs ("" = by run_at, "dead" = bury),
--       5 bury error JSON (or ""), 6 dead_all ZSET, 7 dead ZSET,
--       then 6 per job: id, payload, run_at_ms, group, max_attempts ("" = the queue's), retain_ms
-- Returns one integer per job: 1 created, 0 duplicate.
local prefix, queue, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local forced, bury_err = ARGV[4], ARGV[5]
redis.call('SADD', KEYS[4], queue)
local out, pushed = {}, 0
local i = 8
while i <= #ARGV do
  local id, payload, run_at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local group, maxa, retain = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local jk = prefix .. 'job:' .. id
  if redis.call('EXISTS', jk) == 1 then
    out[#out + 1] = 0
  else
    local state = 'ready'
    if forced == 'dead' then state = 'dead' elseif run_at > now then state = 'delayed' end
    redis.call('HSET', jk, 'queue', queue, 'payload', payload, 'state', state, 'attempts', 0,
      'max_attempts', maxa, 'created_ms', now, 'enq_ms', now, 'run_at_ms', run_at, 'retain_ms', retain)
    if group ~= '' then
      redis.call('HSET', jk, 'group', group)
      if state ~= 'dead' then redis.call('SADD', prefix .. 'group:' .. group, id) end
    end
    if state == 'dead' then
      redis.call('HSET', jk, 'dead_ms', now)
      redis.call('RPUSH', jk .. ':errors', bury_err)
      redis.call('ZADD', ARGV[6], now, id)
      redis.call('ZADD', ARGV[7], now, id)
    elseif state == 'delayed' then
      redis.call('ZADD', KEYS[2], run_at, id)
    else
      redis.call('RPUSH', KEYS[1], id)
      pushed = pushed + 1
    end
    out[#out + 1] = 1
  end
  i = i + 6
end
if pushed > 0 and redis.call('LLEN', KEYS[3]) == 0 then redis.call('RPUSH', KEYS[3], '1') end
return out
