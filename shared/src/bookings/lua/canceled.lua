-- Cancel a booking (invitee.canceled): every pending reminder and follow-up goes.
-- KEYS: 1 booking HASH, 2 due ZSET, 3 claimed ZSET, 4 person SET (bookings of this e-mail)
-- ARGV: 1 booking key, 2 now_ms ('' = Redis TIME; a test's simulated clock otherwise),
--       3 tomb_expire_at_ms (TTL of a tombstone for an unseen booking),
--       4 new status ('canceled' | 'rescheduled'), 5 key of the new booking ('' = none),
--       6 invitee URI, packed (recorded on a tombstone), 7 due_ms of the win-back SMS ('' = flow
--       off), 8 expire_at_ms of the booking when a win-back is planned, 9 booking key prefix
-- Returns {n_canceled, ids of reminders already enqueued..., ['+winback']} or {-1} if already
-- canceled. The win-back is planned only for a plain cancellation of a booking seen booked, with
-- a phone number, when the person has no other booking still ahead of them.
local existed = redis.call('EXISTS', KEYS[1]) == 1
if not existed then
  redis.call('HSET', KEYS[1], 'invitee_uri', ARGV[6])
end
local now = now_or_time(ARGV[2])
local out = cancel_booking(KEYS[1], ARGV[1], ARGV[4], now, tonumber(ARGV[3]), KEYS[2], KEYS[3], ARGV[5])

local function has_another_booking_ahead()
  for _, other in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    if other ~= ARGV[1] then
      local status, start = unpack(redis.call('HMGET', ARGV[9] .. other, 'status', 'start_ms'))
      if status == 'active' and start and tonumber(start) > now then return true end
    end
  end
  return false
end

local wb_due = ARGV[7]
if out[1] ~= -1 and ARGV[4] == 'canceled' and wb_due ~= '' and existed
    and redis.call('HEXISTS', KEYS[1], 'start_ms') == 1
    and redis.call('HEXISTS', KEYS[1], 'phone') == 1
    and not has_another_booking_ahead() then
  redis.call('HSET', KEYS[1], 'r:winback', 'planned:' .. wb_due)
  redis.call('ZADD', KEYS[2], tonumber(wb_due), rem_id(ARGV[1], 'winback'))
  expire_not_before(KEYS[1], tonumber(ARGV[8]))
  table.insert(out, '+winback')
end
return out
