/**
 * The read side of the Redis session store: what a session check needs (the hot path's HMGET
 * and the sliding renewal), shared by the service (whose SessionStore, src/sessions/store.ts,
 * adds the writes) and the library's verifier. The layout it reads is keys.ts's.
 */
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import { FIELD, SessionKeys } from "./keys.js";
import { decodeRecord, encodeRecord, type SessionRecord, slotOf } from "./record.js";
import { decodeEnd, endField, type SessionEnd } from "./sessionEnd.js";

/** tongxing's Redis: one server or a Cluster (ioredis). */
export type RedisClient = Redis | Cluster;

/** renew.lua (opens with what it reads, writes and returns), read once when this module loads. */
const RENEW = readFileSync(new URL("./lua/renew.lua", import.meta.url), "utf8");

type Renewing = RedisClient & { txRenew(...args: (string | number)[]): Promise<number> };

/** Reads and renews sessions in Redis. Methods throw whatever ioredis throws when Redis is down. */
export class SessionReader {
  readonly keys: SessionKeys;
  private readonly reader: Renewing;

  /**
   * @param primaryAppid - the appid of slot "" (keys.ts): WECHAT_APPID or the first of
   *   WECHAT_APPS; "" until known (the library reads it from Redis: primaryAppidKey)
   */
  constructor(
    redis: RedisClient,
    prefix: string,
    public primaryAppid: string,
  ) {
    this.keys = new SessionKeys(prefix);
    // defineCommand is idempotent per name; EVALSHA with an EVAL fallback after a Redis restart.
    if (!("txRenew" in redis)) redis.defineCommand("txRenew", { lua: RENEW, numberOfKeys: 1 });
    this.reader = redis as Renewing;
  }

  /**
   * The hot path: one command (HMGET of the session, the ban marker, openid, unionid, platform,
   * the session's end and the user's restrictions) for a session of the primary app; a second HMGET (its app slot's
   * appid, openid, unionid, platform) for another app's; one HGET of the ban's reason for a
   * banned user.
   * The caller checks expiresAt: a session past it may still be in the hash.
   * @param now - epoch ms, to tell a live ban marker from a lapsed one
   * @returns the record; else why there is none (sessionEnd.ts): the session's kept end, BANNED
   *   under a live ban marker, UNKNOWN when nothing is kept
   */
  async get(userId: number, sid: string, now: number): Promise<SessionRecord | SessionEnd> {
    const key = this.keys.user(userId);
    const [raw, ban, openid, unionid, platform, end, restrictions, elevation] = await this.reader.hmget(
      key,
      sid,
      FIELD.ban,
      FIELD.openid(""),
      FIELD.unionid(""),
      FIELD.platform(""),
      endField(sid),
      FIELD.restrictions,
      FIELD.elevation(sid),
    );
    const bannedUntil = ban ? Number(ban) : 0;
    if (bannedUntil > now) {
      // A deleted account carries a ban marker too: its sessions' end says DELETED.
      if (decodeEnd(end, now) === "DELETED") return { reason: "DELETED" };
      const [banReason, hasEnd] = await this.reader.hmget(key, FIELD.banReason, FIELD.banHasEnd);
      return { reason: "BANNED", ...(hasEnd === "1" && { bannedUntil }), ...(banReason && { banReason }) };
    }
    if (!raw) return { reason: decodeEnd(end, now) ?? "UNKNOWN" };
    const slot = slotOf(raw);
    const ids = slot
      ? await this.reader
          .hmget(key, FIELD.appid(slot), FIELD.openid(slot), FIELD.unionid(slot), FIELD.platform(slot))
          .then(([appid, slotOpenid, slotUnionid, slotPlatform]) => ({
            appid: appid ?? "",
            openid: slotOpenid ?? null,
            unionid: slotUnionid ?? null,
            platform: slotPlatform,
            restrictions,
            elevation,
          }))
      : { appid: this.primaryAppid, openid: openid ?? null, unionid: unionid ?? null, platform, restrictions, elevation };
    return decodeRecord(userId, sid, raw, ids) ?? { reason: "UNKNOWN" };
  }

  /** Writes a renewed record. @returns false when the session was revoked meanwhile */
  async renew(r: SessionRecord): Promise<boolean> {
    return (await this.reader.txRenew(this.keys.user(r.userId), r.sid, encodeRecord(r, true), r.expiresAt)) === 1;
  }
}
