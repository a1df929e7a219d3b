-- A step-up. KEYS[1]: the user's hash. ARGV: sid, the step-up's value (`<at>,<until>`, base 36
-- epoch ms).
-- Writes it only for a live session (a step-up never outlives or revives one; lib.lua drops it
-- with its session). Returns 1 when written.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'e' .. ARGV[1], ARGV[2])
return 1
