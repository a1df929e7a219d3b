-- Logout or revoking one session. KEYS[1]: the user's hash. ARGV: sid, now, the end's letter
-- ('L' logged out, 'V' revoked).
-- Replaces the session by its end and tidies the hash (lib.lua). Returns 1 when it was live.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.
local key = KEYS[1]
local live, pieces, ban = load(key, tonumber(ARGV[2]))
local kept, n = {}, 0
for _, s in ipairs(live) do
  if s[1] == ARGV[1] then
    ended(key, s, ARGV[3])
    n = 1
  else
    table.insert(kept, s)
  end
end
finish(key, kept, pieces, ban)
return n
