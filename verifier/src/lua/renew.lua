-- A sliding renewal. KEYS[1]: the user's hash. ARGV: sid, record, expiresAt.
-- Writes the renewed record only if the session still exists (never resurrects one revoked
-- meanwhile) and moves the key's TTL forward (never back: GT). Returns 1 if renewed, else 0.
-- The rules this carries out are stated in the service's src/sessions/sessions.ts header; the
-- check that calls it is resolveSession.ts.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3], 'GT')
return 1
