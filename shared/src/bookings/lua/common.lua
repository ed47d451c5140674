-- Shared helpers, prepended to every bookings script (see scripts.rs).
-- A booking HASH holds the booking's fields plus one field per reminder:
--   r:<kind> = "<state>:<due_ms>"   state: planned | enqueued | canceled | dropped
-- The reminder id (member of the due/claimed ZSETs and the SMS job id) is rem:<booking>:<kind>.

local function rem_id(booking, kind)
  return 'rem:' .. booking .. ':' .. kind
end

local function parse_id(id)
  return string.match(id, '^rem:([^:]+):(.+)$')
end

local function parse_rec(v)
  if not v then return nil, nil end
  local state, due = string.match(v, '^(%a+):(%-?%d+)$')
  return state, due
end

-- The time a change is recorded at (the booking's `updated_at`, the "still ahead" comparisons):
-- `arg`, a test's simulated clock, when given; otherwise Redis `TIME` in unix ms, so a host whose
-- clock runs ahead or behind records nothing out of order with the claims the SMS handler makes
-- by the same clock.
local function now_or_time(arg)
  local n = tonumber(arg)
  if n then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Call off one reminder of a booking (a rebooking calls off the win-back, an unmarked no-show
-- the apology): a planned one leaves due/claimed, an enqueued one is marked too so the SMS
-- handler's last check drops it. Returns the id when it was already enqueued (its queue job
-- should be cancelled), true when a planned one was removed, false otherwise.
local function call_off(bk, booking, kind, due_key, claimed_key)
  local f = 'r:' .. kind
  local state, due = parse_rec(redis.call('HGET', bk, f))
  if state ~= 'planned' and state ~= 'enqueued' then return false end
  local id = rem_id(booking, kind)
  redis.call('ZREM', due_key, id)
  redis.call('ZREM', claimed_key, id)
  redis.call('HSET', bk, f, 'canceled:' .. due)
  if state == 'enqueued' then return id end
  return true
end

-- Keep `key` alive until at least `at_ms` (a key without a TTL gets one; a longer TTL stays).
local function expire_not_before(key, at_ms)
  if redis.call('PTTL', key) == -1 then
    redis.call('PEXPIREAT', key, at_ms)
  else
    redis.call('PEXPIREAT', key, at_ms, 'GT')
  end
end

-- Cancel a booking: every planned reminder leaves due/claimed and becomes canceled; the hash
-- keeps the new status as a tombstone. Returns {n_canceled, enqueued ids...} or {-1} when the
-- booking was already canceled/rescheduled.
local function cancel_booking(bk, booking, new_status, now, tomb_expire_at, due_key, claimed_key, link)
  local cur = redis.call('HGET', bk, 'status')
  if cur == 'canceled' or cur == 'rescheduled' then return {-1} end
  local out = {0}
  local fields = redis.call('HGETALL', bk)
  for i = 1, #fields, 2 do
    local f = fields[i]
    if string.sub(f, 1, 2) == 'r:' then
      local state, due = parse_rec(fields[i + 1])
      local id = rem_id(booking, string.sub(f, 3))
      if state == 'planned' then
        redis.call('ZREM', due_key, id)
        redis.call('ZREM', claimed_key, id)
        redis.call('HSET', bk, f, 'canceled:' .. due)
        out[1] = out[1] + 1
      elseif state == 'enqueued' then
        table.insert(out, id)
      end
    end
  end
  redis.call('HSET', bk, 'status', new_status, 'updated_at', now)
  if link and link ~= '' then redis.call('HSET', bk, 'new_key', link) end
  redis.call('HINCRBY', bk, 'version', 1)
  if not cur then redis.call('PEXPIREAT', bk, tomb_expire_at) end
  return out
end
