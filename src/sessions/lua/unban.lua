-- Lifting a ban. KEYS[1]: the user's hash. ARGV: now.
-- Deletes the ban marker and tidies the hash. Returns 1.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.
redis.call('HDEL', KEYS[1], 'b', 'br', 'bt')
local live, pieces = load(KEYS[1], tonumber(ARGV[1]))
finish(KEYS[1], live, pieces, 0)
return 1
