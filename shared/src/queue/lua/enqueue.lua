-- Enqueue jobs; an id that already exists is a duplicate (no-op).
-- KEYS: 1 ready LIST, 2 delayed ZSET, 3 wake LIST, 4 queues SET, 5 dead_all ZSET, 6 dead ZSET
-- ARGV: 1 key prefix "{ns}:", 2 queue, 3 state for new jobs ("" = by run_at, "dead" = bury),
--       4 bury error JSON (or ""), then 6 per job: id, payload, run_at_ms (0 = now, by Redis
--       time), group, max_attempts ("" = the queue's), retain_ms
-- Returns one integer per job: 1 created, 0 duplicate.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix, queue = ARGV[1], ARGV[2]
local forced, bury_err = ARGV[3], ARGV[4]
redis.call('SADD', KEYS[4], queue)
local out, pushed = {}, 0
local i = 5
while i <= #ARGV do
  local id, payload, run_at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if run_at == 0 then run_at = now end
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
  i = i + 6
end
if pushed > 0 and redis.call('LLEN', KEYS[3]) == 0 then redis.call('RPUSH', KEYS[3], '1') end
return out
