-- Enqueue jobs; an id that already exists is a duplicate (no-op). A job may also be written to
-- the delivery log (ingest: every accepted delivery, duplicate or not, in this same script, so
-- nothing is acknowledged without being logged).
-- KEYS: 1 ready LIST, 2 delayed ZSET, 3 wake LIST, 4 queues SET, 5 dead_all ZSET, 6 dead ZSET,
--       7 delivery log ZSET, 8 delivery log stats HASH,
--       then per job: its HASH, its errors LIST when burying, its group SET when it has a group,
--       and when logged: the log entry HASH, its provider index ZSET, its provider:event index
--       ZSET, one index ZSET per person
-- ARGV: 1 queue, 2 state for new jobs ("" = by run_at, "dead" = bury), 3 bury error JSON (or ""),
--       4 delivery log retention ms, then 7 per job: id, payload, run_at_ms (0 = now, by Redis
--       time), group ("" = none), max_attempts ("" = the queue's), retain_ms, log entry
--       ("" = not logged, else `entry id|provider|event|person tags, comma-separated`)
-- Returns one integer per job: 1 created, 0 duplicate.
local now = now_ms()
local queue, forced, bury_err = ARGV[1], ARGV[2], ARGV[3]
local log_ttl = tonumber(ARGV[4])
local PERSON_CAP = 500
redis.call('SADD', KEYS[4], queue)
local out, pushed = {}, 0
local k = 9

-- Writes one delivery log entry and its index entries (KEYS from k on: the entry HASH, the
-- provider and provider:event indexes, one index per person tag).
local function log_delivery(spec, id, payload, outcome)
  local eid, provider, event, tags = string.match(spec, '^([^|]+)|([^|]+)|([^|]+)|([^|]*)$')
  local lk = KEYS[k]
  local cutoff = now - log_ttl
  redis.call('HSET', lk, 'provider', provider, 'event', event, 'at_ms', now, 'job', id,
    'outcome', outcome, 'size', #payload, 'persons', tags, 'payload', payload)
  redis.call('PEXPIRE', lk, log_ttl + 86400000)
  redis.call('ZADD', KEYS[7], now, eid)
  redis.call('HINCRBY', KEYS[8], 'bytes', #payload)
  local last = k + 2
  for _ in string.gmatch(tags, '[^,]+') do last = last + 1 end
  for j = k + 1, last do
    redis.call('ZADD', KEYS[j], now, eid)
    redis.call('ZREMRANGEBYSCORE', KEYS[j], '-inf', '(' .. cutoff)
    if j > k + 2 then redis.call('ZREMRANGEBYRANK', KEYS[j], 0, -(PERSON_CAP + 1)) end
    redis.call('PEXPIRE', KEYS[j], log_ttl)
  end
  k = last + 1
end

for i = 5, #ARGV, 7 do
  local id, payload, run_at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local group, maxa, retain = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local log = ARGV[i + 6]
  local jk = KEYS[k]
  k = k + 1
  local ek, gk
  if forced == 'dead' then ek = KEYS[k]; k = k + 1 end
  if group ~= '' then gk = KEYS[k]; k = k + 1 end
  if run_at == 0 then run_at = now end
  if redis.call('EXISTS', jk) == 1 then
    out[#out + 1] = 0
    if log ~= '' then log_delivery(log, id, payload, 'duplicate') end
  else
    if log ~= '' then
      local outcome = 'created'
      if forced == 'dead' then outcome = 'dead' end
      log_delivery(log, id, payload, outcome)
    end
    local state = 'ready'
    if forced == 'dead' then state = 'dead' elseif run_at > now then state = 'delayed' end
    redis.call('HSET', jk, 'queue', queue, 'payload', payload, 'state', state, 'attempts', 0,
      'max_attempts', maxa, 'created_ms', now, 'enq_ms', now, 'run_at_ms', run_at, 'retain_ms', retain)
    if gk then
      redis.call('HSET', jk, 'group', group)
      if state ~= 'dead' then redis.call('SADD', gk, id) end
    end
    if state == 'dead' then
      redis.call('HSET', jk, 'dead_ms', now)
      redis.call('RPUSH', ek, bury_err)
      redis.call('ZADD', KEYS[5], now, id)
      redis.call('ZADD', KEYS[6], now, id)
    elseif state == 'delayed' then
      redis.call('ZADD', KEYS[2], run_at, id)
    else
      redis.call('RPUSH', KEYS[1], id)
      pushed = pushed + 1
    end
    out[#out + 1] = 1
  end
end
if pushed > 0 then wake_up(KEYS[3]) end
return out
