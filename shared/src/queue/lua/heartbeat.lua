-- Record that a worker process consumes a queue, and trim peers silent for 30 s, by Redis time
-- (a host clock running ahead would otherwise trim every healthy peer).
-- KEYS: 1 consumers ZSET
-- ARGV: 1 process identity
local now = now_ms()
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 30000)
return 1
