/**
 * The Redis side of sessions: every write that touches a session and the user's index is one
 * Lua script, so the index never drifts from the sessions it lists (no keyspace notifications:
 * expired members are pruned by score whenever a script reads the index). All keys a script
 * touches share the user's hash tag (keys.ts), so the scripts run unchanged on Redis Cluster.
 */
import type { Cluster, Redis } from "ioredis";
import { SessionKeys } from "./keys.js";
import { decodeRecord, encodeRecord, type SessionRecord } from "./record.js";

/** A single Redis or a Redis Cluster; both are driven the same way. */
export type RedisClient = Redis | Cluster;

// Keeps the index's own TTL at its latest member's expiry so an idle user's index disappears.
const TOUCH_INDEX = `
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if top[2] then redis.call('PEXPIREAT', KEYS[2], top[2]) end`;

// Drops index members that expired by score or whose session key is gone; returns the live
// ones as {sid, createdAt}. createdAt is the 2nd element of the record array (record.ts).
const LIVE_MEMBERS = `
local function live_members(idx, prefix, now)
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
  local out = {}
  for _, m in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
    local v = redis.call('GET', prefix .. m)
    if v then
      table.insert(out, {m, tonumber(string.match(v, '^%[%d+,(%d+)')) or 0, v})
    else
      redis.call('ZREM', idx, m)
    end
  end
  return out
end`;

/** KEYS: session, idx, ban, sk. ARGV: sid, record, expiresAt, now, max, sessionPrefix, skValue, skExpiresAt. */
const CREATE = `${LIVE_MEMBERS}
if redis.call('EXISTS', KEYS[3]) == 1 then return {'banned'} end
local live = live_members(KEYS[2], ARGV[6], ARGV[4])
local result = {'ok'}
local excess = #live - tonumber(ARGV[5]) + 1
if excess > 0 then
  table.sort(live, function(a, b) return a[2] < b[2] end)
  for i = 1, excess do
    redis.call('DEL', ARGV[6] .. live[i][1])
    redis.call('ZREM', KEYS[2], live[i][1])
    table.insert(result, live[i][1])
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('SET', KEYS[4], ARGV[7], 'PXAT', ARGV[8])
${TOUCH_INDEX}
return result`;

/** KEYS: session, idx. ARGV: sid, record, expiresAt. Never resurrects a revoked session. */
const RENEW = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
${TOUCH_INDEX}
return 1`;

/** KEYS: session, idx. ARGV: sid. */
const REVOKE = `
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n`;

/** KEYS: idx, ban. ARGV: sessionPrefix, exceptSid ('' for none), now, banExpiresAt ('' for no ban). */
const REVOKE_ALL = `${LIVE_MEMBERS}
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], '1', 'PXAT', ARGV[4]) end
local revoked = {}
for _, m in ipairs(live_members(KEYS[1], ARGV[1], ARGV[3])) do
  if m[1] ~= ARGV[2] then
    redis.call('DEL', ARGV[1] .. m[1])
    redis.call('ZREM', KEYS[1], m[1])
    table.insert(revoked, m[1])
  end
end
return revoked`;

/** KEYS: idx. ARGV: sessionPrefix, now. Returns {sid, record, sid, record, ...}. */
const LIST = `${LIVE_MEMBERS}
local out = {}
for _, m in ipairs(live_members(KEYS[1], ARGV[1], ARGV[2])) do
  table.insert(out, m[1])
  table.insert(out, m[3])
end
return out`;

type Scripted = RedisClient & {
  txCreate(...args: (string | number)[]): Promise<string[]>;
  txRenew(...args: (string | number)[]): Promise<number>;
  txRevoke(...args: (string | number)[]): Promise<number>;
  txRevokeAll(...args: (string | number)[]): Promise<string[]>;
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
      txCreate: [CREATE, 4],
      txRenew: [RENEW, 2],
      txRevoke: [REVOKE, 2],
      txRevokeAll: [REVOKE_ALL, 2],
      txList: [LIST, 1],
    } as const;
    for (const [name, [lua, numberOfKeys]] of Object.entries(defs)) {
      // defineCommand is idempotent per name; EVALSHA with an EVAL fallback after a Redis restart.
      if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys });
    }
    this.redis = redis as Scripted;
  }

  /**
   * Stores a new session and the user's newest session_key, evicting the oldest sessions past
   * `maxSessions`, unless the user carries a ban marker.
   * @param sessionKeyValue - already encrypted (sessionKeyVault.ts)
   * @param sessionKeyExpiresAt - epoch ms
   */
  async create(
    r: SessionRecord,
    now: number,
    maxSessions: number,
    sessionKeyValue: string,
    sessionKeyExpiresAt: number,
  ): Promise<CreateResult> {
    const k = this.keys;
    const out = await this.redis.txCreate(
      k.session(r.userId, r.sid),
      k.index(r.userId),
      k.ban(r.userId),
      k.sessionKey(r.userId),
      r.sid,
      encodeRecord(r),
      r.expiresAt,
      now,
      maxSessions,
      k.sessionPrefix(r.userId),
      sessionKeyValue,
      sessionKeyExpiresAt,
    );
    return out[0] === "banned" ? { banned: true } : { banned: false, evicted: out.slice(1) };
  }

  /**
   * The hot path: one round trip (MGET of the session and the ban marker, same slot).
   * @returns the record, or null when there is none or the user is banned
   */
  async get(userId: number, sid: string): Promise<SessionRecord | null> {
    const [raw, banned] = await this.redis.mget(this.keys.session(userId, sid), this.keys.ban(userId));
    if (!raw || banned) return null;
    return decodeRecord(userId, sid, raw);
  }

  /** Writes a renewed record. @returns false when the session was revoked meanwhile */
  async renew(r: SessionRecord): Promise<boolean> {
    const k = this.keys;
    return (await this.redis.txRenew(k.session(r.userId, r.sid), k.index(r.userId), r.sid, encodeRecord(r), r.expiresAt)) === 1;
  }

  /** Deletes one session and its index entry. @returns true when it existed */
  async revoke(userId: number, sid: string): Promise<boolean> {
    const k = this.keys;
    return (await this.redis.txRevoke(k.session(userId, sid), k.index(userId), sid)) === 1;
  }

  /**
   * Deletes every live session of a user (but `exceptSid`), optionally setting the ban marker
   * in the same script so no session can be created between the two.
   * @param banExpiresAt - epoch ms for the ban marker's TTL, or null to leave bans alone
   * @returns the sids revoked
   */
  async revokeAll(userId: number, now: number, exceptSid: string | null = null, banExpiresAt: number | null = null): Promise<string[]> {
    const k = this.keys;
    return this.redis.txRevokeAll(k.index(userId), k.ban(userId), k.sessionPrefix(userId), exceptSid ?? "", now, banExpiresAt ?? "");
  }

  /** Lifts the ban marker. */
  async unban(userId: number): Promise<void> {
    await this.redis.del(this.keys.ban(userId));
  }

  /** The user's live sessions (expired and dangling index entries are pruned on the way). */
  async list(userId: number, now: number): Promise<SessionRecord[]> {
    const flat = await this.redis.txList(this.keys.index(userId), this.keys.sessionPrefix(userId), now);
    const out: SessionRecord[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const r = decodeRecord(userId, flat[i] as string, flat[i + 1] as string);
      if (r) out.push(r);
    }
    return out;
  }

  /** The stored (encrypted) session_key entry of a user, or null. */
  async getSessionKey(userId: number): Promise<string | null> {
    return this.redis.get(this.keys.sessionKey(userId));
  }
}
