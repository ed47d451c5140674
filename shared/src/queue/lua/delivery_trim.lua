-- Trims the delivery log oldest first: entries older than the retention, then while it holds
-- more than max_entries entries or max_bytes of payloads. Removes each entry's HASH and its
-- index entries (their keys are built from the prefix and the entry's own fields, so they stay
-- in the declared keys' hash slot). Does at most `budget` entries per call.
-- KEYS: 1 delivery log ZSET, 2 delivery log stats HASH
-- ARGV: 1 prefix, 2 retention ms, 3 max_entries, 4 max_bytes, 5 budget, 6... provider names
-- Returns what it removed and what the log holds after it: {removed by age, by count, by bytes,
-- entries kept, bytes kept, then the entries of each provider of ARGV 6... (its index's size)}.
local prefix = ARGV[1]
local cutoff = now_ms() - tonumber(ARGV[2])
local max_entries, max_bytes, budget = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local aged, over_count, over_bytes = 0, 0, 0
while aged + over_count + over_bytes < budget do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 then
    -- An empty log holds no bytes; deleting the counter (not setting it to 0) leaves a Redis
    -- that never logged anything without a key, however often ingest trims it.
    redis.call('DEL', KEYS[2])
    break
  end
  local count = redis.call('ZCARD', KEYS[1])
  local bytes = tonumber(redis.call('HGET', KEYS[2], 'bytes') or '0')
  if tonumber(first[2]) < cutoff then
    aged = aged + 1
  elseif count > max_entries then
    over_count = over_count + 1
  elseif bytes > max_bytes then
    over_bytes = over_bytes + 1
  else
    break
  end
  local id = first[1]
  local hk = prefix .. 'delivery:' .. id
  local f = redis.call('HMGET', hk, 'provider', 'event', 'persons', 'size')
  redis.call('ZREM', KEYS[1], id)
  if f[1] then
    redis.call('ZREM', prefix .. 'deliveries:by:' .. f[1], id)
    redis.call('ZREM', prefix .. 'deliveries:by:' .. f[1] .. ':' .. (f[2] or '-'), id)
    for tag in string.gmatch(f[3] or '', '[^,]+') do
      redis.call('ZREM', prefix .. 'deliveries:person:' .. tag, id)
    end
    redis.call('HINCRBY', KEYS[2], 'bytes', -tonumber(f[4] or '0'))
    redis.call('DEL', hk)
  end
end
local out = { aged, over_count, over_bytes, redis.call('ZCARD', KEYS[1]),
  tonumber(redis.call('HGET', KEYS[2], 'bytes') or '0') }
for i = 6, #ARGV do
  out[#out + 1] = redis.call('ZCARD', prefix .. 'deliveries:by:' .. ARGV[i])
end
return out
