-- Extend the leases this process still owns.
-- KEYS: 1 leased ZSET
-- ARGV: 1 prefix, 2 owner, 3 new expiry ms, then job ids
-- Returns the ids whose lease this process no longer owns.
local prefix, owner, expiry = ARGV[1], ARGV[2], tonumber(ARGV[3])
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', prefix .. 'job:' .. id, 'owner') == owner then
    redis.call('ZADD', KEYS[1], 'XX', expiry, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
