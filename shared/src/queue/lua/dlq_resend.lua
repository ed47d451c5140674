-- Replay one dead letter that may have reached its provider (`possibly_sent`), as an operator's
-- explicit decision to send again: like dlq_replay.lua, plus `resend_ms`, which lets the handler
-- take over the claim the earlier attempt left. `possibly_sent` stays until the handler knows.
-- KEYS: 1 dead_all ZSET
-- ARGV: 1 prefix, 2 job id
-- Returns 1 when replayed, 0 when the job is not dead.
local now = now_ms()
local prefix, id = ARGV[1], ARGV[2]
local jk = prefix .. 'job:' .. id
if redis.call('HGET', jk, 'state') ~= 'dead' or redis.call('ZREM', KEYS[1], id) == 0 then
  return 0
end
local q = prefix .. 'q:' .. redis.call('HGET', jk, 'queue')
redis.call('ZREM', q .. ':dead', id)
redis.call('HSET', jk, 'state', 'ready', 'attempts', 0, 'enq_ms', now, 'replayed_ms', now,
  'resend_ms', now)
redis.call('HDEL', jk, 'dead_ms')
redis.call('RPUSH', q .. ':ready', id)
wake_up(q .. ':wake')
return 1
