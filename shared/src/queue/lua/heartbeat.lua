-- Record that a worker process consumes a queue, refresh its process record (the process list),
-- and trim peers silent for 30 s, by Redis time (a host clock running ahead would otherwise trim
-- every healthy peer).
-- KEYS: 1 consumers ZSET (this queue), 2 processes ZSET, 3 this process's HASH
-- ARGV: 1 process identity, 2 queue, 3 jobs in flight here, 4 host, 5 pid, 6 service,
--       7 version, 8 started ms, 9 record TTL ms
local now = now_ms()
local ttl = tonumber(ARGV[9])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 30000)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
redis.call('HSET', KEYS[3], 'host', ARGV[4], 'pid', ARGV[5], 'service', ARGV[6],
  'version', ARGV[7], 'started_ms', ARGV[8], 'beat_ms', now, 'queue:' .. ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
