/**
 * The Redis side of sessions. A user's sessions, openid, session_key, ban marker and
 * User-Agents are fields of one hash (keys.ts), so the hash's session fields are the per-user
 * index and can never drift from the sessions they list. Every write is one Lua script that
 * also drops what has expired (sessions past expiresAt, a lapsed ban, User-Agents no session
 * names) and sets the key's TTL to the latest expiry left; no keyspace notifications. One key
 * per script, so the scripts run unchanged on Redis Cluster.
 */
import { readFileSync } from "node:fs";
import { FIELD } from "../../verifier/src/keys.js";
import { decodeRecord, encodeRecord, type ListedSession, type SessionRecord, slotOf } from "../../verifier/src/record.js";
import { encodeRestrictions, type Restriction } from "../../verifier/src/restrictions.js";
import { SessionReader } from "../../verifier/src/sessionReader.js";
import type { RedisClient } from "../clients/redis.js";
import { decodeUserAgent, type EncodedUserAgent } from "./userAgent.js";

/**
 * The scripts, in ./lua (each opens with what it reads, writes and returns), read once when
 * this module loads; lib.lua's helpers are prepended to each. The renewal's script is the
 * reader's (verifier/src/lua/renew.lua), shared with the library.
 */
const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");
const LIB = lua("lib");
const SCRIPTS = {
  txCreate: LIB + lua("create"),
  txRevoke: LIB + lua("revoke"),
  txRevokeAll: LIB + lua("revokeAll"),
  txUnban: LIB + lua("unban"),
  txRestrict: lua("restrict"),
  txElevate: lua("elevate"),
  txList: LIB + lua("list"),
} as const;

type Scripted = RedisClient & {
  txCreate(...args: (string | number)[]): Promise<string[]>;
  txRevoke(...args: (string | number)[]): Promise<number>;
  txRevokeAll(...args: (string | number)[]): Promise<string[]>;
  txUnban(...args: (string | number)[]): Promise<number>;
  txList(...args: (string | number)[]): Promise<string[]>;
  txRestrict(...args: (string | number)[]): Promise<number>;
  txElevate(...args: (string | number)[]): Promise<number>;
};

/** How many sessions a user may hold at once (SESSION_CONCURRENCY, an app's `concurrency`). */
export type Concurrency = "multi" | "single-per-app" | "single";
/** What a login past SESSIONS_PER_USER_MAX does (SESSIONS_PER_USER_OVERFLOW). */
export type Overflow = "evict-oldest" | "refuse-new";

/**
 * What a create did: "banned" or "tooMany" refuses it (nothing written); otherwise the app slot
 * the session got, the sids the concurrency policy ended and those evicted past the cap.
 */
export type CreateResult = { refused: "banned" | "tooMany" } | { refused?: undefined; slot: string; replaced: string[]; evicted: string[] };

/**
 * Session persistence in Redis: the reader's get and renew (verifier/src/sessionReader.ts) and
 * the writes. Methods throw whatever ioredis throws when Redis is down.
 */
export class SessionStore extends SessionReader {
  private readonly redis: Scripted;

  /** @param primaryAppid - as SessionReader's */
  constructor(redis: RedisClient, prefix: string, primaryAppid: string) {
    super(redis, prefix, primaryAppid);
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      // defineCommand is idempotent per name; EVALSHA with an EVAL fallback after a Redis restart.
      if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys: 1 });
    }
    this.redis = redis as Scripted;
  }

  /**
   * Stores a new session, the user's openid/unionid, their newest session_key and the login's
   * User-Agent, ending the sessions the concurrency policy says this one replaces, and past
   * `limits.max` the oldest (or refusing the login), unless the user carries a ban marker.
   * @param sealedSessionKey - already encrypted (sessionKeyVault.ts); "" for none
   * @param now - epoch ms
   */
  async create(
    r: SessionRecord,
    userAgent: EncodedUserAgent,
    now: number,
    limits: { max: number; concurrency: Concurrency; overflow: Overflow },
    sealedSessionKey: string,
  ): Promise<CreateResult> {
    const out = await this.redis.txCreate(
      this.keys.user(r.userId),
      r.sid,
      encodeRecord(r),
      r.expiresAt,
      now,
      limits.max,
      sealedSessionKey,
      r.openid,
      r.unionid ?? "",
      r.appid === this.primaryAppid ? "" : r.appid,
      r.platform === "wechat" ? "" : r.platform,
      limits.concurrency,
      limits.overflow,
      encodeRestrictions(r.restrictions),
      userAgent.ref,
      ...userAgent.pieces,
    );
    if (out[0] === "full") throw new Error("a user's hash holds at most 36 apps besides the primary one");
    if (out[0] === "banned") return { refused: "banned" };
    if (out[0] === "too_many") return { refused: "tooMany" };
    const replaced = Number(out[2]);
    return { slot: out[1] as string, replaced: out.slice(3, 3 + replaced), evicted: out.slice(3 + replaced) };
  }

  /**
   * Ends one session, keeping its end (verifier/src/sessionEnd.ts).
   * @param letter - "L" logged out, "V" revoked
   * @returns true when it was live
   */
  async revoke(userId: number, sid: string, now: number, letter: "L" | "V" = "V"): Promise<boolean> {
    return (await this.redis.txRevoke(this.keys.user(userId), sid, now, letter)) === 1;
  }

  /**
   * Deletes every live session of a user but `exceptSid` (revoke-all, logout-others).
   * @returns the sids revoked
   */
  revokeAll(userId: number, now: number, exceptSid: string | null = null): Promise<string[]> {
    return this.redis.txRevokeAll(this.keys.user(userId), exceptSid ?? "", now, "", "", "V", "", "");
  }

  /**
   * Sets the ban marker and deletes every live session, in one script, so no session can be
   * created between the two.
   * @param until - epoch ms until which the marker holds
   * @param reason - the operator's reason, told to the banned user's clients (null: none)
   * @param hasEnd - the ban lifts itself at `until` (told to clients as bannedUntil); false: the
   *   marker only outlives every session, and the database ban lasts until an operator lifts it
   * @returns the sids revoked
   */
  ban(userId: number, now: number, until: number, reason: string | null = null, hasEnd = false): Promise<string[]> {
    return this.redis.txRevokeAll(this.keys.user(userId), "", now, until, "", "B", reason ?? "", hasEnd ? "1" : "");
  }

  /**
   * Account deletion: what ban does, and deletes the user's per-app fields (openids, unionids,
   * session_keys, app slots) in the same script.
   * @param until - epoch ms until which the ban marker holds
   * @returns the sids revoked
   */
  erase(userId: number, now: number, until: number): Promise<string[]> {
    return this.redis.txRevokeAll(this.keys.user(userId), "", now, until, "1", "D", "", "");
  }

  /** Replaces the user's restrictions in their hash, if they have one (restrict.lua). */
  async setRestrictions(userId: number, list: readonly Restriction[]): Promise<void> {
    await this.redis.txRestrict(this.keys.user(userId), encodeRestrictions(list));
  }

  /**
   * Marks a live session stepped up (elevate.lua).
   * @param at - epoch ms of the check; @param until - epoch ms it counts until
   * @returns false when the session is no longer live
   */
  async elevate(userId: number, sid: string, at: number, until: number): Promise<boolean> {
    return (await this.redis.txElevate(this.keys.user(userId), sid, `${at.toString(36)},${until.toString(36)}`)) === 1;
  }

  /** Lifts the ban marker. */
  async unban(userId: number, now: number): Promise<void> {
    await this.redis.txUnban(this.keys.user(userId), now);
  }

  /** The user's live sessions with their User-Agents (expired ones are dropped on the way). */
  async list(userId: number, now: number): Promise<ListedSession[]> {
    const flat = await this.redis.txList(this.keys.user(userId), now);
    const fields = new Map<string, string>();
    const count = Number(flat[0]);
    for (let i = 1; i < 1 + 2 * count; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
    const out: ListedSession[] = [];
    for (let i = 1 + 2 * count; i < flat.length; i += 3) {
      const raw = flat[i + 1] as string;
      const slot = slotOf(raw) ?? "";
      const r = decodeRecord(userId, flat[i] as string, raw, {
        appid: slot ? (fields.get(FIELD.appid(slot)) ?? "") : this.primaryAppid,
        openid: fields.get(FIELD.openid(slot)) ?? null,
        unionid: fields.get(FIELD.unionid(slot)) ?? null,
        platform: fields.get(FIELD.platform(slot)),
        restrictions: fields.get(FIELD.restrictions),
      });
      if (r) out.push({ ...r, userAgent: decodeUserAgent(flat[i + 2] as string) });
    }
    return out;
  }

  /**
   * The user's stored (sealed) session_key in an app and the sid of the login that delivered it.
   * @param slot - the app's slot (SessionRecord.slot)
   * @returns null when none is stored
   */
  async getSessionKey(userId: number, slot: string): Promise<{ sealed: string; sid: string } | null> {
    const [sealed, sid] = await this.redis.hmget(this.keys.user(userId), FIELD.sessionKey(slot), FIELD.sessionKeySid(slot));
    return sealed && sid ? { sealed, sid } : null;
  }
}
