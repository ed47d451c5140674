-- Claim due reminders for this scheduler replica: first the ids it still holds from a tick that
-- failed half-way (ARGV 5..; only those still in `claimed`), then expired claims of dead
-- replicas, then due ones; each gets a fresh lease in `claimed`. Atomic, so two replicas never
-- claim the same id at once.
-- KEYS: 1 due ZSET, 2 claimed ZSET
-- ARGV: 1 booking key prefix, 2 now_ms ("" = Redis TIME; a test's simulated clock otherwise),
--       3 limit, 4 lease_ms, 5.. ids held by this replica
-- Returns a list of {id, {booking hash field, value, ...}} (empty hash = booking gone).
local prefix, now, limit, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ids = {}
for i = 5, #ARGV do
  if redis.call('ZSCORE', KEYS[2], ARGV[i]) then table.insert(ids, ARGV[i]) end
end
local rest = limit - #ids
if rest > 0 then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, rest)
  for _, id in ipairs(expired) do table.insert(ids, id) end
  rest = limit - #ids
end
if rest > 0 then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, rest)
  for _, id in ipairs(due) do
    redis.call('ZREM', KEYS[1], id)
    table.insert(ids, id)
  end
end
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[2], now + lease, id)
  local booking = parse_id(id)
  local fields = {}
  if booking then fields = redis.call('HGETALL', prefix .. booking) end
  table.insert(out, {id, fields})
end
return out
