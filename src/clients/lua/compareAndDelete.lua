-- Compare-and-delete (clients/redis.ts compareAndDelete). KEYS[1]: any key. ARGV[1]: a value.
-- Deletes KEYS[1] only while it holds ARGV[1]: the release of a lock by its owner, or the drop of
-- a cached value only while it is still the one that failed.
-- Returns 1 when it was deleted, 0 when the key held something else or nothing.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
