-- Replay dead letters: back to the ready list with a fresh attempt budget. A job that is no
-- longer dead (already replayed, deleted) is skipped, so replaying twice runs it once. A job
-- marked `possibly_sent` (it may have reached its provider) is skipped too and stays dead: only
-- dlq_resend.lua replays it, one at a time. A replay here takes back any earlier resend grant.
-- KEYS: 1 dead_all ZSET
-- ARGV: 1 prefix, then job ids
-- Returns the number replayed.
local now = now_ms()
local prefix = ARGV[1]
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  if redis.call('HGET', jk, 'state') ~= 'dead' then
    redis.call('ZREM', KEYS[1], id)
  elseif not redis.call('HGET', jk, 'possibly_sent') and redis.call('ZREM', KEYS[1], id) == 1 then
    local queue = redis.call('HGET', jk, 'queue')
    local q = prefix .. 'q:' .. queue
    redis.call('ZREM', q .. ':dead', id)
    redis.call('HSET', jk, 'state', 'ready', 'attempts', 0, 'enq_ms', now, 'replayed_ms', now)
    redis.call('HDEL', jk, 'dead_ms', 'resend_ms')
    redis.call('RPUSH', q .. ':ready', id)
    wake_up(q .. ':wake')
    n = n + 1
  end
end
return n
