-- A login's new session. Reads and writes KEYS[1], the user's hash.
-- ARGV: sid, record (without its app slot), expiresAt, now, max sessions, sealed session_key
--   ('' for a platform that gives none), openid, unionid ('' when this login brought none: a
--   unionid once known is kept), appid ('' for the primary app), platform ('' for wechat),
--   concurrency ('multi', 'single-per-app' or 'single'), overflow ('evict-oldest' or
--   'refuse-new'), the user's restrictions (restrictions.ts' encoding, '' for none),
--   userAgentRef, User-Agent pieces...
-- Refuses a user with a live ban marker. Finds the app's slot (p<n> = appid) or the first free
-- one; under 'single-per-app' ends the user's other sessions of this app, under 'single' all of
-- them; then, past max, ends the oldest ('evict-oldest') or refuses the login, writing nothing
-- ('refuse-new'); ended sessions leave their end 'P' (replaced). Stores the session (its value
-- ending in ',<slot>' for an app other than the primary one), the app's openid, unionid,
-- platform and newest session_key with the sid that delivered it, and the User-Agent
-- (replacing a stale copy).
-- Returns {'banned'}, {'full'} (36 apps besides the primary one already), {'too_many'} or
--   {'ok', slot, n, the n sids the concurrency policy ended..., the sids evicted past max...}.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.
local key, now = KEYS[1], tonumber(ARGV[4])
local live, pieces, ban, meta = load(key, now)
if ban > 0 then return {'banned'} end
local slot, newSlot = '', false
if ARGV[9] ~= '' then
  slot = nil
  local taken = {}
  for f, v in pairs(meta) do
    if #f == 2 and string.sub(f, 1, 1) == 'p' then
      taken[string.sub(f, 2)] = true
      if v == ARGV[9] then slot = string.sub(f, 2) end
    end
  end
  if not slot then
    for i = 1, #INDEX do
      local c = string.sub(INDEX, i, i)
      if not taken[c] then slot = c break end
    end
    if not slot then return {'full'} end
    newSlot = true
  end
end
-- A record's app slot: the character after its sixth comma (record.ts), none for the primary app.
local function slotOf(value)
  local _, commas = string.gsub(value, ',', ',')
  if commas == 6 then return string.sub(value, -1) end
  return ''
end
local concurrency, replaced, others = ARGV[11], {}, {}
for _, s in ipairs(live) do
  if concurrency == 'single' or (concurrency == 'single-per-app' and slotOf(s[5]) == slot) then
    table.insert(replaced, s)
  else
    table.insert(others, s)
  end
end
local excess = #others - tonumber(ARGV[5]) + 1
if excess > 0 and ARGV[12] == 'refuse-new' then return {'too_many'} end
if newSlot then redis.call('HSET', key, 'p' .. slot, ARGV[9]) end
local result, kept = {'ok', slot, #replaced}, {}
for _, s in ipairs(replaced) do
  ended(key, s, 'P')
  table.insert(result, s[1])
end
table.sort(others, function(a, b) return a[2] < b[2] end)
for i, s in ipairs(others) do
  if i <= excess then
    ended(key, s, 'P')
    table.insert(result, s[1])
  else
    table.insert(kept, s)
  end
end
local ref, stale = ARGV[14], {}
for f in pairs(pieces) do
  if string.sub(f, 2, 7) == ref then table.insert(stale, f) end
end
if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
local value = ARGV[2]
if slot ~= '' then value = value .. ',' .. slot end
redis.call('HSET', key, ARGV[1], value, 'o' .. slot, ARGV[7])
if ARGV[6] ~= '' then redis.call('HSET', key, 'k' .. slot, ARGV[6], 'ks' .. slot, ARGV[1]) end
if ARGV[8] ~= '' then redis.call('HSET', key, 'u' .. slot, ARGV[8]) end
if ARGV[10] ~= '' then redis.call('HSET', key, 't' .. slot, ARGV[10]) end
if ARGV[13] ~= '' then redis.call('HSET', key, 'r', ARGV[13]) else redis.call('HDEL', key, 'r') end
for i = 15, #ARGV do redis.call('HSET', key, 'a' .. ref .. string.sub(INDEX, i - 14, i - 14), ARGV[i]) end
table.insert(kept, {ARGV[1], now, tonumber(ARGV[3]), ref})
finish(key, kept, pieces, 0)
return result
