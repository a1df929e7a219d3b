-- store.ts's revokeAll (revoke-all, logout-others), ban and erase (account deletion).
-- KEYS[1]: the user's hash.
-- ARGV: exceptSid ('' for none), now, banExpiresAt ('' for no ban), erase ('1': also delete the
--   per-app fields: openids, unionids, session_keys, app slots), the ends' letter ('V' revoked,
--   'B' banned, 'D' deleted), the ban's reason ('' for none), '1' when the ban has an end the
--   marker's time is (else the marker only outlives the sessions: not told to clients).
-- Sets the ban marker first when asked, so no session can be created between the two.
-- Returns the sids revoked.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.
local key = KEYS[1]
local live, pieces, ban, meta = load(key, tonumber(ARGV[2]))
if ARGV[4] == '1' then
  for f in pairs(meta) do redis.call('HDEL', key, f) end
end
if ARGV[3] ~= '' then
  redis.call('HSET', key, 'b', ARGV[3])
  -- A ban without a reason (a re-ban) keeps the reason already stored, as the database does.
  if ARGV[6] ~= '' then redis.call('HSET', key, 'br', ARGV[6]) end
  if ARGV[7] == '1' then redis.call('HSET', key, 'bt', '1') else redis.call('HDEL', key, 'bt') end
  ban = math.max(ban, tonumber(ARGV[3]))
end
local kept, revoked = {}, {}
for _, s in ipairs(live) do
  if s[1] == ARGV[1] then
    table.insert(kept, s)
  else
    ended(key, s, ARGV[5])
    table.insert(revoked, s[1])
  end
end
finish(key, kept, pieces, ban)
return revoked
