-- A user's live sessions. KEYS[1]: the user's hash. ARGV: now.
-- Drops the dead ones on the way (lib.lua). Returns {count of per-app fields, field, value, ...,
--   then per session: sid, record, User-Agent pieces joined}.
-- The rules this carries out are stated in src/sessions/sessions.ts's header.
local key = KEYS[1]
local live, pieces, ban, meta = load(key, tonumber(ARGV[1]))
finish(key, live, pieces, ban)
local out = {0}
for f, v in pairs(meta) do
  table.insert(out, f)
  table.insert(out, v)
  out[1] = out[1] + 1
end
for _, s in ipairs(live) do
  local ua = {}
  for i = 1, #INDEX do
    local p = pieces['a' .. s[4] .. string.sub(INDEX, i, i)]
    if not p then break end
    table.insert(ua, p)
  end
  table.insert(out, s[1])
  table.insert(out, s[5])
  table.insert(out, table.concat(ua))
end
return out
