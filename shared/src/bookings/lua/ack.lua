-- Settle claimed reminders: each leaves `claimed` and its record becomes enqueued or dropped.
-- KEYS: 1 claimed ZSET
-- ARGV: 1 booking key prefix, then (id, outcome) pairs; outcome: 'enqueued' | 'dropped'
-- Returns one integer per pair: 1 settled, 0 the claim was gone (cancelled meanwhile, or
-- re-claimed by another replica after our lease expired).
local prefix = ARGV[1]
local out = {}
local i = 2
while ARGV[i] do
  local id, outcome = ARGV[i], ARGV[i + 1]
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local booking, kind = parse_id(id)
    if booking then
      local bk = prefix .. booking
      local state, due = parse_rec(redis.call('HGET', bk, 'r:' .. kind))
      if state == 'planned' then redis.call('HSET', bk, 'r:' .. kind, outcome .. ':' .. due) end
    end
    table.insert(out, 1)
  else
    table.insert(out, 0)
  end
  i = i + 2
end
return out
