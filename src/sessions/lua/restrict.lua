-- A user's restrictions changed. KEYS[1]: the user's hash. ARGV: the restrictions field's new
-- value (verifier/src/restrictions.ts; '' for none).
-- Writes it only into a hash that exists (a user with sessions or a ban): a user with none gets
-- the field from the database at their next login, and no key without a TTL is made. Returns 1
-- when written.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'r') else redis.call('HSET', KEYS[1], 'r', ARGV[1]) end
return 1
