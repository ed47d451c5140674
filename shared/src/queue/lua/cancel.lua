-- Cancel pending (ready, delayed or retrying) jobs by id. Running, done and dead jobs are left.
-- KEYS: none (all keys derive from the prefix and each job's queue; one hash tag)
-- ARGV: 1 prefix, then job ids
-- Returns the number cancelled.
local prefix = ARGV[1]
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  local state = redis.call('HGET', jk, 'state')
  if state == 'ready' or state == 'delayed' or state == 'retrying' then
    local q = prefix .. 'q:' .. redis.call('HGET', jk, 'queue')
    if state == 'ready' then redis.call('LREM', q .. ':ready', 1, id) end
    redis.call('ZREM', q .. ':delayed', id)
    redis.call('SREM', q .. ':retrying', id)
    local group = redis.call('HGET', jk, 'group')
    if group then redis.call('SREM', prefix .. 'group:' .. group, id) end
    redis.call('DEL', jk, jk .. ':errors')
    n = n + 1
  end
end
return n
