-- Record a booking (invitee.created) and plan its reminders, once.
-- KEYS: 1 booking HASH, 2 due ZSET, 3 claimed ZSET, 4 person SET (bookings of this e-mail),
--       [5 old booking HASH of a reschedule]
-- ARGV: 1 booking key, 2 now_ms ('' = Redis TIME; a test's simulated clock otherwise),
--       3 expire_at_ms, 4 tomb_expire_at_ms, 5 old booking key ('' = none),
--       6 this booking's key (stored on the old booking as its `new_key`), 7 '1' = track the person
--       (KEYS[4]), 8 booking key prefix, 9 n = number of field/value pairs,
--       then n pairs, then (kind, due_ms) pairs of the reminders to plan.
-- Returns {'recorded', kinds planned..., ['~' .. id of a called-off win-back]} |
-- {'duplicate', status} | {'tombstone', status},
-- then (only when an old booking was given) the old booking's cancel result is appended after a
-- '|' marker: '|', n_canceled, enqueued ids...
-- A recorded booking joins its person's set; the pending win-back of any other booking of the
-- person is called off: they booked again. Members whose hash expired leave the set.
local booking, now = ARGV[1], now_or_time(ARGV[2])
local expire_at, tomb_expire_at = tonumber(ARGV[3]), tonumber(ARGV[4])
local old_booking, link = ARGV[5], ARGV[6]
local track_person, prefix = ARGV[7] == '1', ARGV[8]
local n = tonumber(ARGV[9])

local function cancel_old(out)
  if old_booking ~= '' and KEYS[5] then
    local r = cancel_booking(KEYS[5], old_booking, 'rescheduled', now, tomb_expire_at, KEYS[2], KEYS[3], link)
    table.insert(out, '|')
    for _, v in ipairs(r) do table.insert(out, v) end
  end
  return out
end

local status = redis.call('HGET', KEYS[1], 'status')
if status == 'canceled' or status == 'rescheduled' then
  return cancel_old({'tombstone', status})
end
if status and redis.call('HEXISTS', KEYS[1], 'start_ms') == 1 then
  return cancel_old({'duplicate', status})
end

-- New booking, or a placeholder left by an early no-show event (keeps its no_show status).
local no_show = (status == 'no_show')
local base = 9
for i = 1, n do
  redis.call('HSET', KEYS[1], ARGV[base + 2 * i - 1], ARGV[base + 2 * i])
end
redis.call('HSET', KEYS[1], 'status', no_show and 'no_show' or 'active', 'updated_at', now)
redis.call('HINCRBY', KEYS[1], 'version', 1)
local out = {'recorded'}
local i = base + 2 * n + 1
while ARGV[i] do
  local kind, due = ARGV[i], ARGV[i + 1]
  if kind == 'followup' and no_show then
    redis.call('HSET', KEYS[1], 'r:' .. kind, 'canceled:' .. due)
  else
    redis.call('HSET', KEYS[1], 'r:' .. kind, 'planned:' .. due)
    redis.call('ZADD', KEYS[2], due, rem_id(booking, kind))
    table.insert(out, kind)
  end
  i = i + 2
end
redis.call('PEXPIREAT', KEYS[1], expire_at)
if track_person then
  for _, other in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    if other ~= booking then
      if redis.call('EXISTS', prefix .. other) == 0 then
        redis.call('SREM', KEYS[4], other)
      else
        local r = call_off(prefix .. other, other, 'winback', KEYS[2], KEYS[3])
        if r then table.insert(out, '~' .. rem_id(other, 'winback')) end
      end
    end
  end
  redis.call('SADD', KEYS[4], booking)
  expire_not_before(KEYS[4], expire_at)
end
return cancel_old(out)
