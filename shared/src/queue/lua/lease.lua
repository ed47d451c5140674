-- Lease up to n ready jobs to one worker process. Each lease gets a fencing token (the job's
-- lease generation, `token` in its hash): every outcome of this lease names it, so an outcome of
-- an older lease of the same job (even from this process) is refused.
-- A paused queue (its name or `*` in the paused HASH) leases nothing: its jobs wait in ready.
-- Per job one read and one write of its hash (attempts and token counted up from the values
-- read, in the same atomic step), and one ZADD for the whole batch: a rate-limited queue leases
-- in runs, and each command here is paid once per job.
-- KEYS: 1 ready LIST, 2 leased ZSET, 3 wake LIST, 4 paused HASH
-- ARGV: 1 prefix, 2 n, 3 lease_ms, 4 owner, 5 max attempts of jobs that set none, 6 queue
-- Returns a flat array: id, payload, attempts, max_attempts, enq_ms, token, group ("" = none)
-- per leased job.
local paused = redis.call('HMGET', KEYS[4], ARGV[6], '*')
if paused[1] or paused[2] then return {} end
local prefix, n, lease, owner = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local ids = redis.call('LPOP', KEYS[1], n)
local out = {}
if not ids then return out end
local now = now_ms()
local expiry = {}
for _, id in ipairs(ids) do
  local jk = prefix .. 'job:' .. id
  local f = redis.call('HMGET', jk, 'payload', 'state', 'max_attempts', 'enq_ms', 'group',
    'attempts', 'token')
  if f[1] and f[2] == 'ready' then
    local attempts = (tonumber(f[6]) or 0) + 1
    local token = (tonumber(f[7]) or 0) + 1
    redis.call('HSET', jk, 'state', 'running', 'owner', owner, 'started_ms', now,
      'attempts', attempts, 'token', token)
    expiry[#expiry + 1] = now + lease
    expiry[#expiry + 1] = id
    local maxa = f[3]
    if not maxa or maxa == '' then maxa = ARGV[5] end
    out[#out + 1] = id
    out[#out + 1] = f[1]
    out[#out + 1] = attempts
    out[#out + 1] = maxa
    out[#out + 1] = f[4] or tostring(now)
    out[#out + 1] = token
    out[#out + 1] = f[5] or ''
  end
end
call_batched('ZADD', KEYS[2], expiry)
if redis.call('LLEN', KEYS[1]) > 0 then wake_up(KEYS[3]) end
return out
