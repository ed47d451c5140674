-- Extend the leases this process still holds, each named by its token. A lease already expired
-- by Redis time is not extended (the reaper may hand it back at any moment): it is reported lost.
-- KEYS: 1 leased ZSET, then each job's HASH
-- ARGV: 1 lease_ms, then pairs of job id and lease token
-- Returns the ids this process lost: expired, handed back to the ready list or leased again
-- (by any process, this one included). A job whose outcome this lease has just written (done,
-- retrying, dead with the same token) is not lost: it landed between the renewal reading its
-- ids and this script.
local now = now_ms()
local expiry = now + tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local f = redis.call('HMGET', KEYS[i / 2 + 1], 'state', 'token')
  if f[2] ~= ARGV[i + 1] or f[1] == 'ready' then
    if f[1] then lost[#lost + 1] = id end
  elseif f[1] == 'running' then
    local held = tonumber(redis.call('ZSCORE', KEYS[1], id))
    if held and held > now then
      redis.call('ZADD', KEYS[1], 'XX', expiry, id)
    else
      lost[#lost + 1] = id
    end
  end
end
return lost
