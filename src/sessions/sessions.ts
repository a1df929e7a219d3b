/**
 * The session algorithm. The check every request runs (resolveSession, renewalDue) lives in
 * verifier/src/resolveSession.ts, the library's package, so the service and the library run one
 * copy of it; the rules below are its too.
 *
 * Data model: a session is a field of its user's Redis hash, named by the SHA-256 of its token
 * (token.ts) and holding the record of record.ts; the user's openid, newest session_key, ban
 * marker and User-Agents are fields of the same hash (keys.ts). The hot path checks expiresAt;
 * the key's TTL and the scripts that touch the user drop what has expired (store.ts).
 *
 * Expiry (OWASP ASVS V3.3.1/V3.3.2, OWASP Session Management Cheat Sheet "Session Expiration"):
 * - idle timeout: a session unused for `idleTtl` seconds dies;
 * - absolute timeout: a session dies `maxAge` seconds after login however busy it is.
 * expiresAt = min(lastSeenAt + idleTtl, createdAt + maxAge), and the Redis TTL is set to it.
 *
 * Sliding renewal: writing lastSeenAt on every request would double the Redis traffic of the
 * hot path. Instead a request renews only when less than half of the idle window remains, so a
 * session in steady use is written about once per idleTtl/2 and every other request is one HMGET.
 * The cost: lastSeenAt lags by up to idleTtl/2.
 *
 * Rules the Lua scripts enforce, atomically per user (src/sessions/lua and verifier/src/lua; each script's header
 * names the rule it carries out and points back here):
 * - ban check on create: a user carrying a live ban marker gets no session (create.lua);
 * - concurrency: a login under `single-per-app` ends the user's other sessions of the same app,
 *   under `single` all of them, in the script that creates it, so two racing logins leave one
 *   session (create.lua);
 * - eviction: a login past `maxPerUser` live sessions ends the oldest by createdAt in the same
 *   script, or with `refuse-new` is refused with nothing written, so a user never holds more
 *   (create.lua);
 * - ends: a session ended by a logout, a revocation, a newer login, a ban or a deletion leaves
 *   why (verifier/src/sessionEnd.ts), kept no longer than the session could have lived;
 * - renewal never resurrects: a renewal writes only a session that still exists, and moves the
 *   key's TTL forward, never back (renew.lua);
 * - ban, erase, revoke-all: the ban marker is set before the sessions are deleted, in one script,
 *   so no login can slip in between; erase also deletes the per-app openids, unionids and
 *   session_keys (revokeAll.lua, called as three named operations by store.ts);
 * - cleanup: every script but renew drops sessions past expiresAt, a lapsed ban and User-Agents
 *   no session names, and sets the key's TTL to the latest expiry left, or deletes the key
 *   (lib.lua's load and finish): nothing outlives what it belongs to, without keyspace events.
 *
 * Threats: a leaked Redis dump holds no token (only hashes); the token's 192-bit secret can't
 * be guessed; revocation deletes the field, so it takes effect on the next request on every
 * instance (the process-local cache, sessionCache.ts, is told of every write to a user's hash
 * and is not used while it could miss one); a ban marker read in the same round trip refuses
 * sessions created in a race with the ban.
 */

import type { ListedSession, SessionRecord } from "../../verifier/src/record.js";
import { checkSession, resolveSession } from "../../verifier/src/resolveSession.js";
import type { Restriction } from "../../verifier/src/restrictions.js";
import type { SessionCache } from "../../verifier/src/sessionCache.js";
import type { SessionEnd } from "../../verifier/src/sessionEnd.js";
import { sidOf } from "../../verifier/src/token.js";
import { tooManySessions, userBanned } from "../errors.js";
import { newToken } from "./newToken.js";
import type { SessionKeyVault } from "./sessionKeyVault.js";
import type { Concurrency, Overflow, SessionStore } from "./store.js";
import { encodeUserAgent } from "./userAgent.js";

/** Session settings; durations in seconds. */
export interface SessionPolicy {
  idleTtl: number;
  maxAge: number;
  maxPerUser: number;
  /** SESSION_CONCURRENCY, for apps without their own `concurrency`. Default "multi". */
  concurrency?: Concurrency;
  /** SESSIONS_PER_USER_OVERFLOW. Default "evict-oldest". */
  overflow?: Overflow;
}

/** What a login knows about the user and the client. */
export interface NewSession {
  userId: number;
  /** The mini-program logged in from. */
  appid: string;
  /** That app's platform (src/platforms/types.ts). */
  platform: string;
  /** The user's openid in that app. */
  openid: string;
  unionid: string | null;
  /** The platform's session_key, base64 text, sealed before it is stored; null when it gives none. */
  sessionKey: string | null;
  ip: string;
  userAgent: string;
  /** The user's active restrictions (the database's), copied into Redis with the session. */
  restrictions?: readonly Restriction[] | undefined;
  /** The app's own concurrency policy (APPS' `concurrency`), else the policy's. */
  concurrency?: Concurrency | undefined;
}

/** A created session: the token (shown once, to the client) and its record. */
export interface CreatedSession {
  token: string;
  record: SessionRecord;
  /** sids ended by the concurrency policy (this login replaces them). */
  replaced: string[];
  /** sids evicted to keep the user under maxPerUser. */
  evicted: string[];
}

/**
 * Creates, resolves, renews and revokes sessions. `clock` returns epoch milliseconds.
 * A user's newest session_key is kept per app: WeChat honours the newest login's key per user
 * and appid (code2Session), so a login from another app leaves this app's key valid.
 */
export class Sessions {
  constructor(
    readonly store: SessionStore,
    private readonly vault: SessionKeyVault,
    readonly policy: SessionPolicy,
    private readonly clock: () => number = Date.now,
    /** The process-local cache (SESSION_CACHE); unusable, so bypassed, until the server starts it. */
    readonly cache?: SessionCache,
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
    const userAgent = encodeUserAgent(s.userAgent);
    const record: SessionRecord = {
      userId: s.userId,
      sid,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: Math.min(now + this.policy.idleTtl * 1000, absoluteExpiresAt),
      absoluteExpiresAt,
      appid: s.appid,
      platform: s.platform,
      slot: "",
      restrictions: s.restrictions ?? [],
      elevatedAt: 0,
      elevatedUntil: 0,
      openid: s.openid,
      unionid: s.unionid,
      ip: s.ip,
      userAgentRef: userAgent.ref,
    };
    const sealed = s.sessionKey === null ? "" : this.vault.seal(s.userId, sid, s.sessionKey);
    // A login may evict the user's oldest sessions: a write like any other to the cache.
    const limits = {
      max: this.policy.maxPerUser,
      concurrency: s.concurrency ?? this.policy.concurrency ?? "multi",
      overflow: this.policy.overflow ?? "evict-oldest",
    };
    const result = await this.write(s.userId, () => this.store.create(record, userAgent, now, limits, sealed));
    if (result.refused) throw result.refused === "banned" ? userBanned() : tooManySessions(this.policy.maxPerUser);
    return { token, record: { ...record, slot: result.slot }, replaced: result.replaced, evicted: result.evicted };
  }

  /**
   * Resolves a token to its live session: one Redis read, plus one write when renewal is due.
   * @returns null for a malformed, unknown, expired or revoked token, or a banned user
   */
  resolve(token: string): Promise<SessionRecord | null> {
    return resolveSession(this.store, this.policy.idleTtl, this.clock(), token, this.cache);
  }

  /**
   * resolve() with the reason of a refusal (verifier/src/sessionEnd.ts).
   * @returns the live session, or why the token is refused
   */
  check(token: string): Promise<SessionRecord | SessionEnd> {
    return checkSession(this.store, this.policy.idleTtl, this.clock(), token, this.cache);
  }

  /**
   * Revokes one session, keeping why (sessionEnd.ts).
   * @param why - the session's own logout, or a revocation from elsewhere (the user's other
   *   session, an operator, an unbound identity)
   * @returns true when it was live
   */
  revoke(userId: number, sid: string, why: "logout" | "revoke" = "revoke"): Promise<boolean> {
    return this.write(userId, () => this.store.revoke(userId, sid, this.clock(), why === "logout" ? "L" : "V"));
  }

  /** Revokes all of a user's sessions, or all but `exceptSid`. @returns the sids revoked */
  revokeAll(userId: number, exceptSid: string | null = null): Promise<string[]> {
    return this.write(userId, () => this.store.revokeAll(userId, this.clock(), exceptSid));
  }

  /**
   * Marks the user banned in Redis and revokes every session, in one script, so a login racing
   * the ban cannot leave a live session behind. The marker outlives every session that could
   * have been created before it (maxAge); logins after that are refused by the database flag.
   * @param until - epoch ms when a ban with an end lifts itself (null: none)
   * @returns the sids revoked
   */
  ban(userId: number, reason: string | null = null, until: number | null = null): Promise<string[]> {
    const now = this.clock();
    // A ban with an end: the marker lapses with it (the database flag lapses then too).
    const marker = Math.min(until ?? Number.POSITIVE_INFINITY, now + this.policy.maxAge * 1000);
    return this.write(userId, () => this.store.ban(userId, now, marker, reason, until !== null && marker === until));
  }

  /**
   * Account deletion's part in Redis: revokes every session and deletes the user's openids,
   * unionids and session_keys, in one script that also sets the ban marker, so a login that
   * resolved this user just before cannot leave a session behind.
   * @returns the sids revoked
   */
  erase(userId: number): Promise<string[]> {
    const now = this.clock();
    return this.write(userId, () => this.store.erase(userId, now, now + this.policy.maxAge * 1000));
  }

  /**
   * Marks a session stepped up for `ttlSeconds` from now.
   * @returns the times, epoch ms, or null when the session ended meanwhile
   */
  async elevate(record: SessionRecord, ttlSeconds: number): Promise<{ at: number; until: number } | null> {
    const at = this.clock();
    const until = at + ttlSeconds * 1000;
    const done = await this.write(record.userId, () => this.store.elevate(record.userId, record.sid, at, until));
    return done ? { at, until } : null;
  }

  /** Replaces the user's restrictions in Redis (counted on the next check everywhere, cache included). */
  setRestrictions(userId: number, list: readonly Restriction[]): Promise<void> {
    return this.write(userId, () => this.store.setRestrictions(userId, list));
  }

  unban(userId: number): Promise<void> {
    return this.write(userId, () => this.store.unban(userId, this.clock()));
  }

  /** Runs a write to a user's hash with this instance's cache entries dropped before and after. */
  private async write<T>(userId: number, op: () => Promise<T>): Promise<T> {
    this.cache?.invalidateUser(userId);
    try {
      return await op();
    } finally {
      this.cache?.invalidateUser(userId);
    }
  }

  /** The user's live sessions, newest first. */
  async list(userId: number): Promise<ListedSession[]> {
    const records = await this.store.list(userId, this.clock());
    return records.sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * The user's newest session_key in the session's app (WeChat keeps one per user and app), and
   * whether it came from this session's own login.
   * @returns null when none is stored (expired, or sealed under another key)
   */
  async sessionKeyFor(record: SessionRecord): Promise<{ sessionKey: string; current: boolean } | null> {
    const stored = await this.store.getSessionKey(record.userId, record.slot);
    const sessionKey = stored ? this.vault.open(record.userId, stored.sid, stored.sealed) : null;
    return stored && sessionKey !== null ? { sessionKey, current: stored.sid === record.sid } : null;
  }
}
