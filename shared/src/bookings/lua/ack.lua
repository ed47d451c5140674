-- Settle claimed reminders: each leaves `claimed` and its record becomes enqueued or dropped.
-- KEYS: 1 claimed ZSET, 2 due ZSET
-- ARGV: 1 booking key prefix, then (id, outcome) pairs; outcome: 'enqueued' | 'dropped' |
--       'defer:<due_ms>' (held for quiet hours: planned again for due_ms)
-- Returns one integer per pair: 1 settled; 0 the claim was gone because the reminder was
-- cancelled meanwhile (or its booking is gone); 2 the claim was gone but the reminder was not
-- cancelled (another replica took it over after our lease expired and settled it).
local prefix = ARGV[1]
local out = {}
local i = 2
while ARGV[i] do
  local id, outcome = ARGV[i], ARGV[i + 1]
  local booking, kind = parse_id(id)
  local bk = booking and (prefix .. booking)
  local state, due = nil, nil
  if bk then state, due = parse_rec(redis.call('HGET', bk, 'r:' .. kind)) end
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local defer = string.match(outcome, '^defer:(%d+)$')
    if state == 'planned' and defer then
      redis.call('HSET', bk, 'r:' .. kind, 'planned:' .. defer)
      redis.call('ZADD', KEYS[2], tonumber(defer), id)
    elseif state == 'planned' then
      redis.call('HSET', bk, 'r:' .. kind, outcome .. ':' .. due)
    end
    table.insert(out, 1)
  elseif state == nil or state == 'canceled' then
    table.insert(out, 0)
  else
    table.insert(out, 2)
  end
  i = i + 2
end
return out
