-- Lease up to n ready jobs to one worker process.
-- KEYS: 1 ready LIST, 2 leased ZSET, 3 wake LIST
-- ARGV: 1 prefix, 2 n, 3 now_ms, 4 lease_ms, 5 owner, 6 max attempts of jobs that set none
-- Returns a flat array: id, payload, attempts, max_attempts, enq_ms per leased job.
local prefix, n, now, lease, owner = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local ids = redis.call('LPOP', KEYS[1], n)
local out = {}
if not ids then return out end
for _, id in ipairs(ids) do
  local jk = prefix .. 'job:' .. id
  local payload = redis.call('HGET', jk, 'payload')
  if payload and redis.call('HGET', jk, 'state') == 'ready' then
    local attempts = redis.call('HINCRBY', jk, 'attempts', 1)
    redis.call('HSET', jk, 'state', 'running', 'owner', owner, 'started_ms', now)
    redis.call('ZADD', KEYS[2], now + lease, id)
    out[#out + 1] = id
    out[#out + 1] = payload
    out[#out + 1] = attempts
    local maxa = redis.call('HGET', jk, 'max_attempts')
    if not maxa or maxa == '' then maxa = ARGV[6] end
    out[#out + 1] = maxa
    out[#out + 1] = redis.call('HGET', jk, 'enq_ms') or tostring(now)
  end
end
if redis.call('LLEN', KEYS[1]) > 0 and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('RPUSH', KEYS[3], '1')
end
return out
