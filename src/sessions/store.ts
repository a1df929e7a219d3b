/**
 * The Redis side of sessions. A user's sessions, openid, session_key, ban marker and
 * User-Agents are fields of one hash (keys.ts), so the hash's session fields are the per-user
 * index and can never drift from the sessions they list. Every write is one Lua script that
 * also drops what has expired (sessions past expiresAt, a lapsed ban, User-Agents no session
 * names) and sets the key's TTL to the latest expiry left; no keyspace notifications. One key
 * per script, so the scripts run unchanged on Redis Cluster.
 */
import type { Cluster, Redis } from "ioredis";
import { FIELD, SessionKeys } from "./keys.js";
import { decodeRecord, encodeRecord, type ListedSession, type SessionRecord } from "./record.js";
import { decodeUserAgent, type EncodedUserAgent } from "./userAgent.js";

/** A single Redis or a Redis Cluster; both are driven the same way. */
export type RedisClient = Redis | Cluster;

// load(key, now): reads the hash, deletes sessions past expiresAt and a lapsed ban, and
// returns the live sessions as {sid, createdAt, expiresAt, userAgentRef, value}, the
// User-Agent pieces as {field = value} and the ban's expiry (0 for none). A session field is
// named by a 22-character sid; a User-Agent piece is 'a' .. 6-character ref .. 1 index char.
// finish(key, live, pieces, ban): deletes the pieces no live session names and sets the TTL to
// the latest expiry, or deletes the key when nothing is left. record.ts describes the values.
const LIB = `
local function load(key, now)
  local flat = redis.call('HGETALL', key)
  local live, pieces, dead, ban = {}, {}, {}, 0
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
    end
  end
  if #dead > 0 then redis.call('HDEL', key, unpack(dead)) end
  return live, pieces, ban
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
end`;

const PIECE_INDEX = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * KEYS: user. ARGV: sid, record, expiresAt, now, max, sealedSessionKey, openid, unionid ('' when
 * this login brought none: a unionid once known is kept, as in users.unionid), userAgentRef,
 * userAgent pieces... Returns {'banned'} or {'ok', evicted sids...}.
 */
const CREATE = `${LIB}
local key, now = KEYS[1], tonumber(ARGV[4])
local live, pieces, ban = load(key, now)
if ban > 0 then return {'banned'} end
local result, kept = {'ok'}, {}
local excess = #live - tonumber(ARGV[5]) + 1
table.sort(live, function(a, b) return a[2] < b[2] end)
for i, s in ipairs(live) do
  if i <= excess then
    redis.call('HDEL', key, s[1])
    table.insert(result, s[1])
  else
    table.insert(kept, s)
  end
end
local ref, stale = ARGV[9], {}
for f in pairs(pieces) do
  if string.sub(f, 2, 7) == ref then table.insert(stale, f) end
end
if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
redis.call('HSET', key, ARGV[1], ARGV[2], 'o', ARGV[7], 'k', ARGV[6], 'ks', ARGV[1])
if ARGV[8] ~= '' then redis.call('HSET', key, 'u', ARGV[8]) end
for i = 10, #ARGV do redis.call('HSET', key, 'a' .. ref .. string.sub('${PIECE_INDEX}', i - 9, i - 9), ARGV[i]) end
table.insert(kept, {ARGV[1], now, tonumber(ARGV[3]), ref})
finish(key, kept, pieces, 0)
return result`;

/** KEYS: user. ARGV: sid, record, expiresAt. Never resurrects a revoked session. */
const RENEW = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3], 'GT')
return 1`;

/** KEYS: user. ARGV: sid, now. Returns 1 when the session was live. */
const REVOKE = `${LIB}
local key = KEYS[1]
local live, pieces, ban = load(key, tonumber(ARGV[2]))
local kept, n = {}, 0
for _, s in ipairs(live) do
  if s[1] == ARGV[1] then n = redis.call('HDEL', key, s[1]) else table.insert(kept, s) end
end
finish(key, kept, pieces, ban)
return n`;

/** KEYS: user. ARGV: exceptSid ('' for none), now, banExpiresAt ('' for no ban). Returns the sids revoked. */
const REVOKE_ALL = `${LIB}
local key = KEYS[1]
local live, pieces, ban = load(key, tonumber(ARGV[2]))
if ARGV[3] ~= '' then
  redis.call('HSET', key, 'b', ARGV[3])
  ban = math.max(ban, tonumber(ARGV[3]))
end
local kept, revoked = {}, {}
for _, s in ipairs(live) do
  if s[1] == ARGV[1] then
    table.insert(kept, s)
  else
    redis.call('HDEL', key, s[1])
    table.insert(revoked, s[1])
  end
end
finish(key, kept, pieces, ban)
return revoked`;

/** KEYS: user. ARGV: now. */
const UNBAN = `${LIB}
redis.call('HDEL', KEYS[1], 'b')
local live, pieces = load(KEYS[1], tonumber(ARGV[1]))
finish(KEYS[1], live, pieces, 0)
return 1`;

/** KEYS: user. ARGV: now. Returns {openid, unionid, sid, record, userAgent pieces joined, ...}. */
const LIST = `${LIB}
local key = KEYS[1]
local live, pieces, ban = load(key, tonumber(ARGV[1]))
finish(key, live, pieces, ban)
local ids = redis.call('HMGET', key, 'o', 'u')
local out = {ids[1] or '', ids[2] or ''}
for _, s in ipairs(live) do
  local ua = {}
  for i = 1, #'${PIECE_INDEX}' do
    local p = pieces['a' .. s[4] .. string.sub('${PIECE_INDEX}', i, i)]
    if not p then break end
    table.insert(ua, p)
  end
  table.insert(out, s[1])
  table.insert(out, s[5])
  table.insert(out, table.concat(ua))
end
return out`;

type Scripted = RedisClient & {
  txCreate(...args: (string | number)[]): Promise<string[]>;
  txRenew(...args: (string | number)[]): Promise<number>;
  txRevoke(...args: (string | number)[]): Promise<number>;
  txRevokeAll(...args: (string | number)[]): Promise<string[]>;
  txUnban(...args: (string | number)[]): Promise<number>;
  txList(...args: (string | number)[]): Promise<string[]>;
};

/** What a create did: "banned" refuses it; otherwise the sids evicted to stay under the cap. */
export type CreateResult = { banned: true } | { banned: false; evicted: string[] };

/** Session persistence in Redis. Methods throw whatever ioredis throws when Redis is down. */
export class SessionStore {
  readonly keys: SessionKeys;
  private readonly redis: Scripted;

  constructor(redis: RedisClient, prefix: string) {
    this.keys = new SessionKeys(prefix);
    const defs = {
      txCreate: CREATE,
      txRenew: RENEW,
      txRevoke: REVOKE,
      txRevokeAll: REVOKE_ALL,
      txUnban: UNBAN,
      txList: LIST,
    } as const;
    for (const [name, lua] of Object.entries(defs)) {
      // defineCommand is idempotent per name; EVALSHA with an EVAL fallback after a Redis restart.
      if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys: 1 });
    }
    this.redis = redis as Scripted;
  }

  /**
   * Stores a new session, the user's openid/unionid, their newest session_key and the login's
   * User-Agent, evicting the oldest sessions past `maxSessions`, unless the user carries a ban
   * marker.
   * @param sealedSessionKey - already encrypted (sessionKeyVault.ts)
   * @param now - epoch ms
   */
  async create(
    r: SessionRecord,
    userAgent: EncodedUserAgent,
    now: number,
    maxSessions: number,
    sealedSessionKey: string,
  ): Promise<CreateResult> {
    const out = await this.redis.txCreate(
      this.keys.user(r.userId),
      r.sid,
      encodeRecord(r),
      r.expiresAt,
      now,
      maxSessions,
      sealedSessionKey,
      r.openid,
      r.unionid ?? "",
      userAgent.ref,
      ...userAgent.pieces,
    );
    return out[0] === "banned" ? { banned: true } : { banned: false, evicted: out.slice(1) };
  }

  /**
   * The hot path: one command (HMGET of the session, the ban marker, openid and unionid).
   * The caller checks expiresAt: a session past it may still be in the hash.
   * @param now - epoch ms, to tell a live ban marker from a lapsed one
   * @returns the record, or null when there is none or the user is banned
   */
  async get(userId: number, sid: string, now: number): Promise<SessionRecord | null> {
    const [raw, ban, openid, unionid] = await this.redis.hmget(this.keys.user(userId), sid, FIELD.ban, FIELD.openid, FIELD.unionid);
    if (!raw || (ban && Number(ban) > now)) return null;
    return decodeRecord(userId, sid, raw, openid ?? null, unionid ?? null);
  }

  /** Writes a renewed record. @returns false when the session was revoked meanwhile */
  async renew(r: SessionRecord): Promise<boolean> {
    return (await this.redis.txRenew(this.keys.user(r.userId), r.sid, encodeRecord(r), r.expiresAt)) === 1;
  }

  /** Deletes one session. @returns true when it was live */
  async revoke(userId: number, sid: string, now: number): Promise<boolean> {
    return (await this.redis.txRevoke(this.keys.user(userId), sid, now)) === 1;
  }

  /**
   * Deletes every live session of a user (but `exceptSid`), optionally setting the ban marker
   * in the same script so no session can be created between the two.
   * @param banExpiresAt - epoch ms until which the ban marker holds, or null to leave bans alone
   * @returns the sids revoked
   */
  async revokeAll(userId: number, now: number, exceptSid: string | null = null, banExpiresAt: number | null = null): Promise<string[]> {
    return this.redis.txRevokeAll(this.keys.user(userId), exceptSid ?? "", now, banExpiresAt ?? "");
  }

  /** Lifts the ban marker. */
  async unban(userId: number, now: number): Promise<void> {
    await this.redis.txUnban(this.keys.user(userId), now);
  }

  /** The user's live sessions with their User-Agents (expired ones are dropped on the way). */
  async list(userId: number, now: number): Promise<ListedSession[]> {
    const flat = await this.redis.txList(this.keys.user(userId), now);
    const [openid, unionid] = flat as [string, string];
    const out: ListedSession[] = [];
    for (let i = 2; i < flat.length; i += 3) {
      const r = decodeRecord(userId, flat[i] as string, flat[i + 1] as string, openid, unionid);
      if (r) out.push({ ...r, userAgent: decodeUserAgent(flat[i + 2] as string) });
    }
    return out;
  }

  /** The user's stored (sealed) session_key and the sid of the login that delivered it, or null. */
  async getSessionKey(userId: number): Promise<{ sealed: string; sid: string } | null> {
    const [sealed, sid] = await this.redis.hmget(this.keys.user(userId), FIELD.sessionKey, FIELD.sessionKeySid);
    return sealed && sid ? { sealed, sid } : null;
  }
}
