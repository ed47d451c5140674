-- An operator's action on one waiting job: run it now, cancel it, or move it to the dead letters.
-- Acts only on a job still waiting (ready, scheduled = `delayed`, or `retrying`) in the queue and
-- group the caller read, and, when the caller names the state it saw, still in that state: a job
-- that was leased, finished, retried or moved meanwhile is left alone and reported.
-- KEYS: 1 its HASH, 2 its errors LIST, 3 its queue's ready LIST, 4 delayed ZSET, 5 retrying SET,
--       6 wake LIST, 7 dead_all ZSET, 8 dead ZSET (its queue), 9 its group SET (its own HASH
--       again when it has no group)
-- ARGV: 1 action (run_now | cancel | dead), 2 id, 3 queue, 4 group ("" = none), 5 state the
--       caller saw ("" = any waiting state), 6 error class and 7 message (dead only)
-- Returns {outcome, state found}: outcome `ok`, `missing` (no such job), `changed` (its state,
-- queue or group is not what the caller saw) or `refused` (not waiting: running, done, dead; or
-- already ready for run_now).
local now = now_ms()
local action, id, queue, group, expect = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local jk = KEYS[1]
local f = redis.call('HMGET', jk, 'state', 'queue', 'group', 'attempts')
local state = f[1]
if not state then return {'missing', ''} end
if f[2] ~= queue or (f[3] or '') ~= group then return {'changed', state} end
if expect ~= '' and state ~= expect then return {'changed', state} end
local waiting = state == 'ready' or state == 'delayed' or state == 'retrying'
if not waiting or (action == 'run_now' and state == 'ready') then return {'refused', state} end
if state == 'ready' then redis.call('LREM', KEYS[3], 1, id) end
redis.call('ZREM', KEYS[4], id)
redis.call('SREM', KEYS[5], id)
if action == 'run_now' then
  redis.call('HSET', jk, 'state', 'ready', 'enq_ms', now, 'run_at_ms', now)
  redis.call('HDEL', jk, 'held')
  redis.call('RPUSH', KEYS[3], id)
  wake_up(KEYS[6])
  return {'ok', state}
end
if group ~= '' then redis.call('SREM', KEYS[9], id) end
if action == 'cancel' then
  redis.call('DEL', jk, KEYS[2])
  return {'ok', state}
end
redis.call('RPUSH', KEYS[2], cjson.encode({at_ms = now, attempt = tonumber(f[4]) or 0,
  class = ARGV[6], message = ARGV[7]}))
redis.call('LTRIM', KEYS[2], -50, -1)
redis.call('HDEL', jk, 'held')
redis.call('HSET', jk, 'state', 'dead', 'dead_ms', now)
redis.call('ZADD', KEYS[7], now, id)
redis.call('ZADD', KEYS[8], now, id)
return {'ok', state}
