-- Cancel a booking (invitee.canceled): every pending reminder and follow-up goes.
-- KEYS: 1 booking HASH, 2 due ZSET, 3 claimed ZSET
-- ARGV: 1 booking key, 2 now_ms, 3 tomb_expire_at_ms (TTL of a tombstone for an unseen booking),
--       4 new status ('canceled' | 'rescheduled'), 5 key of the new booking ('' = none),
--       6 invitee URI, packed (recorded on a tombstone)
-- Returns {n_canceled, ids of reminders already enqueued...} or {-1} if already canceled.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'invitee_uri', ARGV[6])
end
return cancel_booking(KEYS[1], ARGV[1], ARGV[4], tonumber(ARGV[2]), tonumber(ARGV[3]), KEYS[2], KEYS[3], ARGV[5])
