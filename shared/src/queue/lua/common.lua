-- Helpers prepended to every queue script by the loader (scripts.rs).

-- Now by Redis TIME, in unix milliseconds: the one clock every due time and lease uses.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Leave one token on a queue's wake LIST (it holds at most one) so an idle worker blocked on it
-- looks at the ready list.
local function wake_up(wake)
  if redis.call('LLEN', wake) == 0 then redis.call('RPUSH', wake, '1') end
end

-- `cmd batch_key v1 v2 ...` over the values of `list`, 1000 at a time (Lua's unpack has a stack
-- limit): one command for a whole batch instead of one per job. An even chunk size keeps
-- (score, member) pairs together.
local function call_batched(cmd, batch_key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, batch_key, unpack(list, i, math.min(i + 999, #list)))
  end
end
