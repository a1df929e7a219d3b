-- Shared by every session script but renew.lua (store.ts prepends it). What the user's hash
-- (keys.ts) holds: sessions under their 22-character sid, 'b' the ban marker, User-Agent pieces
-- 'a' .. 6-character ref .. one INDEX character, and per-app fields of at most 3 characters
-- (o, u, k, ks, p and their slotted forms o<n>, u<n>, k<n>, ks<n>, p<n>). record.ts describes a
-- session's value: the first three base-36 numbers give createdAt and expiresAt.
--
-- load(key, now): reads the hash (HGETALL), deletes sessions past expiresAt and a lapsed ban
--   (HDEL); returns the live sessions as {sid, createdAt, expiresAt, userAgentRef, value}, the
--   User-Agent pieces as {field = value}, the ban's expiry (0 for none) and the per-app
--   fields as {field = value}.
-- finish(key, live, pieces, ban): deletes the pieces no live session names (HDEL) and sets the
--   key's TTL to the latest expiry (PEXPIREAT), or deletes the key when nothing is left.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.

-- The characters of User-Agent piece indexes and of app slots.
local INDEX = '0123456789abcdefghijklmnopqrstuvwxyz'
local function load(key, now)
  local flat = redis.call('HGETALL', key)
  local live, pieces, dead, ban, meta = {}, {}, {}, 0, {}
  for i = 1, #flat, 2 do
    local f, v = flat[i], flat[i + 1]
    if #f == 22 then
      local c, dl, de, ref = string.match(v, '^(%w+),(%w+),(%w+),%w+,([%w_-]+),')
      local created = c and tonumber(c, 36)
      local expires = created and created + tonumber(dl, 36) + tonumber(de, 36)
      if expires and expires > now then
        table.insert(live, {f, created, expires, ref, v})
      else
        table.insert(dead, f)
      end
    elseif f == 'b' then
      if (tonumber(v) or 0) > now then ban = tonumber(v) else table.insert(dead, f) end
    elseif #f == 8 and string.sub(f, 1, 1) == 'a' then
      pieces[f] = v
    elseif #f <= 3 then
      meta[f] = v
    end
  end
  if #dead > 0 then redis.call('HDEL', key, unpack(dead)) end
  return live, pieces, ban, meta
end

local function finish(key, live, pieces, ban)
  local refs, top, drop = {}, ban, {}
  for _, s in ipairs(live) do
    refs[s[4]] = true
    if s[3] > top then top = s[3] end
  end
  for f in pairs(pieces) do
    if not refs[string.sub(f, 2, 7)] then table.insert(drop, f) end
  end
  if #drop > 0 then redis.call('HDEL', key, unpack(drop)) end
  if top == 0 then redis.call('DEL', key) else redis.call('PEXPIREAT', key, string.format('%d', top)) end
end
