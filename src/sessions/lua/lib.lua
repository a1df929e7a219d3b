-- Shared by every session script but renew.lua (store.ts prepends it). What the user's hash
-- (keys.ts) holds: sessions under their 22-character sid, why an ended session ended under '~'
-- .. its sid, a session's step-up under 'e' .. its sid (`<at>,<until>`, base 36 epoch ms), 'b' the ban marker and 'br' its reason, User-Agent pieces 'a' .. 6-character ref
-- .. one INDEX character, and per-app fields of at most 3 characters (o, u, k, ks, p, t and
-- their slotted forms o<n>, ...). record.ts describes a session's value: the first three
-- base-36 numbers give createdAt and expiresAt; an end's value is `<reason letter>,<keep until,
-- base 36 epoch ms>` (verifier/src/sessionEnd.ts names the letters).
--
-- load(key, now): reads the hash (HGETALL), deletes sessions past expiresAt, ends past their
--   keep-until and a lapsed ban with its reason (HDEL); returns the live sessions as {sid,
--   createdAt, expiresAt, userAgentRef, value}, the User-Agent pieces as {field = value}, the
--   ban's expiry (0 for none) and the per-app fields as {field = value}; keeps the ends for finish.
-- ended(key, s, letter): replaces live session s (as load gives it) by its end, kept until the
--   session's own expiresAt: no longer than it could have lived.
-- finish(key, live, pieces, ban): deletes the pieces no live session names, the oldest ends past
--   MAX_ENDS, and with no live session nor ban the per-app fields (HDEL), and sets the key's TTL
--   to the latest expiry of what is left (PEXPIREAT), or deletes the key when nothing is left.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.

-- The characters of User-Agent piece indexes and of app slots.
local INDEX = '0123456789abcdefghijklmnopqrstuvwxyz'
-- Ends kept per user at most (the newest by keep-until): enough for a person's devices, and the
-- hash stays small enough for Redis's compact encoding.
local MAX_ENDS = 16
-- The ends load found, {field, keepUntil}; ended() adds to them, finish() trims them.
local ends = {}
-- The per-app fields load found: finish() deletes them once only ends are left.
local metaFields = {}
-- Step-ups ('e' .. sid) load found unexpired: dropped with their session.
local elevations = {}

local function base36(n)
  local s = ''
  repeat
    local d = n % 36
    s = string.sub(INDEX, d + 1, d + 1) .. s
    n = math.floor(n / 36)
  until n == 0
  return s
end

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
    elseif #f == 23 and string.sub(f, 1, 1) == '~' then
      local keep = tonumber(string.match(v, ',(%w+)$') or '', 36)
      if keep and keep > now then table.insert(ends, {f, keep}) else table.insert(dead, f) end
    elseif #f == 23 and string.sub(f, 1, 1) == 'e' then
      local untilAt = tonumber(string.match(v, ',(%w+)$') or '', 36)
      if untilAt and untilAt > now then table.insert(elevations, f) else table.insert(dead, f) end
    elseif f == 'b' then
      if (tonumber(v) or 0) > now then
        ban = tonumber(v)
      else
        table.insert(dead, f)
        table.insert(dead, 'br')
        table.insert(dead, 'bt')
      end
    elseif #f == 8 and string.sub(f, 1, 1) == 'a' then
      pieces[f] = v
    elseif #f <= 3 then
      meta[f] = v
      table.insert(metaFields, f)
    end
  end
  -- A step-up outlives nothing: gone with its session.
  local liveSids = {}
  for _, s in ipairs(live) do liveSids[s[1]] = true end
  for _, f in ipairs(elevations) do
    if not liveSids[string.sub(f, 2)] then table.insert(dead, f) end
  end
  if #dead > 0 then redis.call('HDEL', key, unpack(dead)) end
  return live, pieces, ban, meta
end

local function ended(key, s, letter)
  local field = '~' .. s[1]
  redis.call('HDEL', key, s[1], 'e' .. s[1])
  redis.call('HSET', key, field, letter .. ',' .. base36(s[3]))
  table.insert(ends, {field, s[3]})
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
  -- No session and no ban left: the openids, unionids and session_keys go now, as they did
  -- with the key before ends were kept; only why the sessions ended stays.
  if #live == 0 and ban == 0 then
    for _, f in ipairs(metaFields) do table.insert(drop, f) end
  end
  table.sort(ends, function(a, b) return a[2] > b[2] end)
  for i, e in ipairs(ends) do
    if i > MAX_ENDS then table.insert(drop, e[1]) elseif e[2] > top then top = e[2] end
  end
  if #drop > 0 then redis.call('HDEL', key, unpack(drop)) end
  if top == 0 then redis.call('DEL', key) else redis.call('PEXPIREAT', key, string.format('%d', top)) end
end
