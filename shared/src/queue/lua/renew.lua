-- Extend the leases this process still owns.
-- KEYS: 1 leased ZSET
-- ARGV: 1 prefix, 2 owner, 3 new expiry ms, then job ids
-- Returns the ids this process lost: handed back to the ready list or leased by another process
-- after its lease expired. A job this process has just finished (done, retrying, dead) is not
-- lost: its outcome landed between the renewal reading its ids and this script.
local prefix, owner, expiry = ARGV[1], ARGV[2], tonumber(ARGV[3])
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  local holder = redis.call('HGET', jk, 'owner')
  if holder == owner then
    redis.call('ZADD', KEYS[1], 'XX', expiry, id)
  else
    local state = redis.call('HGET', jk, 'state')
    if state == 'ready' or (state == 'running' and holder) then lost[#lost + 1] = id end
  end
end
return lost
