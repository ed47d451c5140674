-- Deletes KEYS[1] only if it still holds ARGV[1]: a process drops its own claim or cached value
-- without removing one another process wrote since. Returns 1 when deleted, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
