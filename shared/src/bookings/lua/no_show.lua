-- Mark (ARGV[3] = '1') or unmark ('0') a booking as no-show: removes / restores its follow-up.
-- KEYS: 1 booking HASH, 2 due ZSET, 3 claimed ZSET
-- ARGV: 1 booking key, 2 now_ms, 3 set, 4 tomb_expire_at_ms (TTL of a placeholder), 5 invitee URI, packed
-- Returns {outcome, follow_up_changed (0|1)}; outcome: 'set' | 'cleared' | 'placeholder' |
-- 'unchanged:<status>' | 'unknown'.
local booking, now, set = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
local bk = KEYS[1]
local cur = redis.call('HGET', bk, 'status')
local fu_field = 'r:followup'
local fu_id = rem_id(booking, 'followup')
if set then
  if not cur then
    -- no-show before the booking itself: remember it so the follow-up is never planned
    redis.call('HSET', bk, 'status', 'no_show', 'invitee_uri', ARGV[5], 'updated_at', now)
    redis.call('PEXPIREAT', bk, tonumber(ARGV[4]))
    return {'placeholder', 0}
  end
  if cur ~= 'active' then return {'unchanged:' .. cur, 0} end
  redis.call('HSET', bk, 'status', 'no_show', 'updated_at', now)
  redis.call('HINCRBY', bk, 'version', 1)
  local state, due = parse_rec(redis.call('HGET', bk, fu_field))
  if state == 'planned' then
    redis.call('ZREM', KEYS[2], fu_id)
    redis.call('ZREM', KEYS[3], fu_id)
    redis.call('HSET', bk, fu_field, 'canceled:' .. due)
    return {'set', 1}
  end
  return {'set', 0}
end
if not cur then return {'unknown', 0} end
if cur ~= 'no_show' then return {'unchanged:' .. cur, 0} end
redis.call('HSET', bk, 'status', 'active', 'updated_at', now)
redis.call('HINCRBY', bk, 'version', 1)
local state, due = parse_rec(redis.call('HGET', bk, fu_field))
if state == 'canceled' then
  redis.call('HSET', bk, fu_field, 'planned:' .. due)
  redis.call('ZADD', KEYS[2], due, fu_id)
  return {'cleared', 1}
end
return {'cleared', 0}
