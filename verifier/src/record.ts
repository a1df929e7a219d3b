/**
 * A session as stored in Redis: one field of the user's hash (keys.ts), named by the sid, whose
 * value is short enough (under 64 bytes for IPv4 clients) for Redis to keep the whole hash in
 * its compact listpack encoding. openid and unionid are per user and live once in the hash;
 * the User-Agent is stored once per user and distinct User-Agent (the service's userAgent.ts) and named here
 * by a 6-character reference.
 *
 * Value: `<createdAt>,<lastSeenAt − createdAt>,<expiresAt − lastSeenAt>,<absoluteExpiresAt − createdAt>,<userAgentRef>,<ip>[,<slot>]`
 * with the four numbers in base 36 (epoch milliseconds and millisecond differences). The Lua
 * scripts in the service's store.ts read the first three numbers to find createdAt and expiresAt. `slot`
 * (one character) names the app the session belongs to (keys.ts); none: the primary app. An IP
 * never holds a comma, so the two forms cannot be confused.
 */

import { decodeRestrictions, type Restriction } from "./restrictions.js";

/** One live session. Times are epoch milliseconds. */
export interface SessionRecord {
  readonly userId: number;
  /** Storage id (hash of the token). */
  readonly sid: string;
  readonly createdAt: number;
  /** Updated only when a renewal is due (see resolveSession.ts), so it lags by up to half the idle timeout. */
  readonly lastSeenAt: number;
  /** When the session dies unless used: min(lastSeenAt + idle timeout, absoluteExpiresAt). */
  readonly expiresAt: number;
  /** createdAt + absolute timeout; no renewal goes past it. */
  readonly absoluteExpiresAt: number;
  /** The mini-program the session was logged in from. */
  readonly appid: string;
  /** That app's platform: wechat, douyin, alipay, qq, baidu or kuaishou. */
  readonly platform: string;
  /** The app's slot in the user's hash ("" for the primary app); keys.ts. */
  readonly slot: string;
  /** The user's openid in that app. */
  readonly openid: string;
  readonly unionid: string | null;
  /**
   * The session's last step-up (a fingerprint, face or phone check: the service's stepUp.ts):
   * when it happened and until when it counts, epoch ms; 0 for none.
   */
  readonly elevatedAt: number;
  readonly elevatedUntil: number;
  /** The user's restrictions as stored (restrictions.ts): filter by time with activeRestrictions. */
  readonly restrictions: readonly Restriction[];
  /** Client IP at login. */
  readonly ip: string;
  /** Names the login's User-Agent among the user's stored ones (the service's userAgent.ts). */
  readonly userAgentRef: string;
}

/** A session as listed to its owner or an admin: the record and the login's User-Agent. */
export interface ListedSession extends SessionRecord {
  userAgent: string;
}
const RECORD_RE = /^([0-9a-z]{1,11}),([0-9a-z]{1,11}),([0-9a-z]{1,11}),([0-9a-z]{1,11}),([A-Za-z0-9_-]{6}),([^,]*)(?:,([0-9a-z]))?$/;

/**
 * Serialises a record for its hash field (userId, sid, appid, openid and unionid are stored
 * elsewhere). The slot is not written here: the create script appends the one it chose, and a
 * renewal passes `withSlot`.
 */
export function encodeRecord(r: SessionRecord, withSlot = false): string {
  const b36 = (n: number) => Math.max(0, Math.round(n)).toString(36);
  const value = `${b36(r.createdAt)},${b36(r.lastSeenAt - r.createdAt)},${b36(r.expiresAt - r.lastSeenAt)},${b36(r.absoluteExpiresAt - r.createdAt)},${r.userAgentRef},${r.ip}`;
  return withSlot && r.slot ? `${value},${r.slot}` : value;
}

/** The app slot a stored record names ("" for the primary app), or null when it is no record. */
export function slotOf(raw: string): string | null {
  const m = RECORD_RE.exec(raw);
  return m ? (m[7] ?? "") : null;
}

/** Who the session's user is in the session's app: the fields of its slot (keys.ts). */
export interface AppIdentity {
  /** "" when unknown (the library before tongxing recorded its primary app). */
  appid: string;
  /** null: no openid stored, so the record is not a session. */
  openid: string | null;
  unionid: string | null;
  /** The app's platform as stored (keys.ts); null or absent: wechat. */
  platform?: string | null | undefined;
  /** The user's restrictions field (keys.ts), as stored. */
  restrictions?: string | null | undefined;
  /** The session's step-up field (keys.ts), as stored. */
  elevation?: string | null | undefined;
}

/**
 * Parses a stored record.
 * @param ids - the fields of the record's app slot; a record without an openid is not a session
 * @returns null for anything that is not a record this version wrote (treated as no session)
 */
export function decodeRecord(userId: number, sid: string, raw: string, ids: AppIdentity): SessionRecord | null {
  const m = RECORD_RE.exec(raw);
  const { appid, openid, unionid, platform } = ids;
  if (!m || !openid) return null;
  const createdAt = Number.parseInt(m[1] as string, 36);
  const lastSeenAt = createdAt + Number.parseInt(m[2] as string, 36);
  return {
    userId,
    sid,
    createdAt,
    lastSeenAt,
    expiresAt: lastSeenAt + Number.parseInt(m[3] as string, 36),
    absoluteExpiresAt: createdAt + Number.parseInt(m[4] as string, 36),
    appid,
    platform: platform || "wechat",
    restrictions: decodeRestrictions(ids.restrictions),
    ...decodeElevation(ids.elevation),
    slot: m[7] ?? "",
    openid,
    unionid: unionid || null,
    userAgentRef: m[5] as string,
    ip: m[6] as string,
  };
}

/** A step-up field's two times (keys.ts); zeros when absent or malformed. */
function decodeElevation(raw: string | null | undefined): { elevatedAt: number; elevatedUntil: number } {
  const m = raw ? /^([0-9a-z]{1,11}),([0-9a-z]{1,11})$/.exec(raw) : null;
  return m ? { elevatedAt: Number.parseInt(m[1] as string, 36), elevatedUntil: Number.parseInt(m[2] as string, 36) } : NO_ELEVATION;
}
const NO_ELEVATION = Object.freeze({ elevatedAt: 0, elevatedUntil: 0 });
