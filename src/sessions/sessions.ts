/**
 * The session algorithm.
 *
 * Data model: a session is a Redis string under the SHA-256 of its token (token.ts), holding
 * the record of record.ts, with a per-user index (a sorted set by expiry) and the user's
 * newest session_key beside it (keys.ts). Redis TTLs do the expiring; every write to a session
 * and its index is one Lua script (store.ts).
 *
 * Expiry (OWASP ASVS V3.3.1/V3.3.2, OWASP Session Management Cheat Sheet "Session Expiration"):
 * - idle timeout: a session unused for `idleTtl` seconds dies;
 * - absolute timeout: a session dies `maxAge` seconds after login however busy it is.
 * expiresAt = min(lastSeenAt + idleTtl, createdAt + maxAge), and the Redis TTL is set to it.
 *
 * Sliding renewal: writing lastSeenAt on every request would double the Redis traffic of the
 * hot path. Instead a request renews only when less than half of the idle window remains, so a
 * session in steady use is written about once per idleTtl/2 and every other request is one GET.
 * The cost: lastSeenAt lags by up to idleTtl/2.
 *
 * Threats: a leaked Redis dump holds no token (only hashes); the token's 192-bit secret can't
 * be guessed; revocation deletes the key, so it takes effect on the next request on every
 * instance (nothing is cached in process); a ban marker read in the same round trip refuses
 * sessions created in a race with the ban.
 */
import { userBanned } from "../errors.js";
import type { SessionRecord } from "./record.js";
import type { SessionKeyVault } from "./sessionKeyVault.js";
import type { SessionStore } from "./store.js";
import { newToken, parseToken, sidOf } from "./token.js";

/** Session settings; durations in seconds. */
export interface SessionPolicy {
  idleTtl: number;
  maxAge: number;
  maxPerUser: number;
}

/** What a login knows about the user and the client. */
export interface NewSession {
  userId: number;
  openid: string;
  unionid: string | null;
  /** WeChat's session_key, base64 text; sealed before it is stored. */
  sessionKey: string;
  ip: string;
  userAgent: string;
}

/** A created session: the token (shown once, to the client) and its record. */
export interface CreatedSession {
  token: string;
  record: SessionRecord;
  /** sids evicted to keep the user under maxPerUser. */
  evicted: string[];
}

/** Creates, resolves, renews and revokes sessions. `clock` returns epoch milliseconds. */
export class Sessions {
  constructor(
    readonly store: SessionStore,
    private readonly vault: SessionKeyVault,
    readonly policy: SessionPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Creates a session for a login and stores its session_key as the user's newest.
   * @throws AppError 403 USER_BANNED when the user carries a ban marker; Redis errors as thrown
   */
  async create(s: NewSession): Promise<CreatedSession> {
    const now = this.clock();
    const token = newToken(s.userId);
    const sid = sidOf(token);
    const absoluteExpiresAt = now + this.policy.maxAge * 1000;
    const record: SessionRecord = {
      userId: s.userId,
      sid,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: Math.min(now + this.policy.idleTtl * 1000, absoluteExpiresAt),
      absoluteExpiresAt,
      openid: s.openid,
      unionid: s.unionid,
      ip: s.ip,
      userAgent: s.userAgent.slice(0, 256),
    };
    const sealed = this.vault.seal(s.userId, sid, s.sessionKey);
    const result = await this.store.create(record, now, this.policy.maxPerUser, sealed, absoluteExpiresAt);
    if (result.banned) throw userBanned();
    return { token, record, evicted: result.evicted };
  }

  /**
   * Resolves a token to its live session: one Redis read, plus one write when renewal is due.
   * @returns null for a malformed, unknown, expired or revoked token, or a banned user
   */
  async resolve(token: string): Promise<SessionRecord | null> {
    const parsed = parseToken(token);
    if (!parsed) return null;
    const record = await this.store.get(parsed.userId, parsed.sid);
    if (!record) return null;
    const now = this.clock();
    // Redis expires the key; this guards against a record read in the instant it expires.
    if (record.expiresAt <= now) return null;
    if (record.expiresAt - now >= (this.policy.idleTtl * 1000) / 2 || record.expiresAt >= record.absoluteExpiresAt) return record;
    const renewed = { ...record, lastSeenAt: now, expiresAt: Math.min(now + this.policy.idleTtl * 1000, record.absoluteExpiresAt) };
    return (await this.store.renew(renewed)) ? renewed : null;
  }

  /** Revokes one session. @returns true when it was live */
  revoke(userId: number, sid: string): Promise<boolean> {
    return this.store.revoke(userId, sid);
  }

  /** Revokes all of a user's sessions, or all but `exceptSid`. @returns the sids revoked */
  revokeAll(userId: number, exceptSid: string | null = null): Promise<string[]> {
    return this.store.revokeAll(userId, this.clock(), exceptSid);
  }

  /**
   * Marks the user banned in Redis and revokes every session, in one script, so a login racing
   * the ban cannot leave a live session behind. The marker outlives every session that could
   * have been created before it (maxAge); logins after that are refused by the database flag.
   * @returns the sids revoked
   */
  ban(userId: number): Promise<string[]> {
    const now = this.clock();
    return this.store.revokeAll(userId, now, null, now + this.policy.maxAge * 1000);
  }

  unban(userId: number): Promise<void> {
    return this.store.unban(userId);
  }

  /** The user's live sessions, newest first. */
  async list(userId: number): Promise<SessionRecord[]> {
    const records = await this.store.list(userId, this.clock());
    return records.sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * The user's newest session_key, and whether it came from `sid`'s own login.
   * @returns null when none is stored (expired, or sealed under another key)
   */
  async sessionKeyFor(record: SessionRecord): Promise<{ sessionKey: string; current: boolean } | null> {
    const stored = await this.store.getSessionKey(record.userId);
    const entry = stored ? this.vault.open(record.userId, stored) : null;
    return entry ? { sessionKey: entry.sessionKey, current: entry.sid === record.sid } : null;
  }
}
