-- Delete dead letters for good.
-- KEYS: 1 dead_all ZSET
-- ARGV: 1 prefix, then job ids
-- Returns the number deleted.
local prefix = ARGV[1]
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local queue = redis.call('HGET', jk, 'queue')
    if queue then redis.call('ZREM', prefix .. 'q:' .. queue .. ':dead', id) end
    redis.call('DEL', jk, jk .. ':errors')
    n = n + 1
  end
end
return n
