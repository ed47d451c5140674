-- Claim due reminders for this scheduler replica: expired claims of a dead replica first, then
-- due ones, each moved to `claimed` with a lease. Atomic, so two replicas never claim the same id.
-- KEYS: 1 due ZSET, 2 claimed ZSET
-- ARGV: 1 booking key prefix, 2 now_ms, 3 limit, 4 lease_ms
-- Returns a list of {id, {booking hash field, value, ...}} (empty hash = booking gone).
local prefix, now, limit, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
local rest = limit - #ids
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
