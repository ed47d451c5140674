-- Mark (ARGV[3] = '1') or unmark ('0') a booking as no-show: removes / restores its follow-up.
-- With ARGV[6] (due_ms of the apology SMS, '' = flow off), a mark also plans the apology (once,
-- and only for a booking with a phone number), an unmark calls it off.
-- KEYS: 1 booking HASH, 2 due ZSET, 3 claimed ZSET
-- ARGV: 1 booking key, 2 now_ms ('' = Redis TIME; a test's simulated clock otherwise), 3 set,
--       4 tomb_expire_at_ms (TTL of a placeholder), 5 invitee URI,
--       packed, 6 apology due_ms or '', 7 expire_at_ms of the booking when an apology is planned
-- Returns {outcome, follow_up_changed (0|1), apology}; outcome: 'set' | 'cleared' |
-- 'placeholder' | 'unchanged:<status>' | 'unknown'; apology: 'planned' | 'called_off' | the id of
-- an apology already on the SMS queue that was called off | ''.
local booking, now, set = ARGV[1], now_or_time(ARGV[2]), ARGV[3] == '1'
local bk = KEYS[1]
local cur = redis.call('HGET', bk, 'status')
local fu_field = 'r:followup'
local fu_id = rem_id(booking, 'followup')
if set then
  if not cur then
    -- no-show before the booking itself: remember it so the follow-up is never planned
    redis.call('HSET', bk, 'status', 'no_show', 'invitee_uri', ARGV[5], 'updated_at', now)
    redis.call('PEXPIREAT', bk, tonumber(ARGV[4]))
    return {'placeholder', 0, ''}
  end
  if cur ~= 'active' then return {'unchanged:' .. cur, 0, ''} end
  redis.call('HSET', bk, 'status', 'no_show', 'updated_at', now)
  redis.call('HINCRBY', bk, 'version', 1)
  local apology = ''
  local ap_due = ARGV[6]
  if ap_due ~= '' and redis.call('HEXISTS', bk, 'phone') == 1 then
    local ap_state = parse_rec(redis.call('HGET', bk, 'r:noshow'))
    if not ap_state or ap_state == 'canceled' then
      redis.call('HSET', bk, 'r:noshow', 'planned:' .. ap_due)
      redis.call('ZADD', KEYS[2], tonumber(ap_due), rem_id(booking, 'noshow'))
      expire_not_before(bk, tonumber(ARGV[7]))
      apology = 'planned'
    end
  end
  local state, due = parse_rec(redis.call('HGET', bk, fu_field))
  if state == 'planned' then
    redis.call('ZREM', KEYS[2], fu_id)
    redis.call('ZREM', KEYS[3], fu_id)
    redis.call('HSET', bk, fu_field, 'canceled:' .. due)
    return {'set', 1, apology}
  end
  return {'set', 0, apology}
end
if not cur then return {'unknown', 0, ''} end
if cur ~= 'no_show' then return {'unchanged:' .. cur, 0, ''} end
local off = call_off(bk, booking, 'noshow', KEYS[2], KEYS[3])
local apology = ''
if off == true then apology = 'called_off' elseif off then apology = off end
redis.call('HSET', bk, 'status', 'active', 'updated_at', now)
redis.call('HINCRBY', bk, 'version', 1)
local state, due = parse_rec(redis.call('HGET', bk, fu_field))
if state == 'canceled' then
  redis.call('HSET', bk, fu_field, 'planned:' .. due)
  redis.call('ZADD', KEYS[2], due, fu_id)
  return {'cleared', 1, apology}
end
return {'cleared', 0, apology}
