/**
 * The session record as stored in Redis: a compact JSON array, not a hash, because it is read
 * whole on every request (one GET) and a small string costs fewer bytes than a hash of the
 * same fields (../shared/notes/baselines.md: 216 vs 280 bytes).
 *
 * Layout: [v, createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, openid, unionid, ip, userAgent]
 * All times are epoch milliseconds. Lua scripts in store.ts read index 1 (createdAt).
 */

/** One live session. Times are epoch milliseconds. */
export interface SessionRecord {
  userId: number;
  /** Storage id (hash of the token). */
  sid: string;
  createdAt: number;
  /** Updated only when a renewal is due (see sessions.ts), so it lags by up to half the idle timeout. */
  lastSeenAt: number;
  /** When the session dies unless used: min(lastSeenAt + idle timeout, absoluteExpiresAt). */
  expiresAt: number;
  /** createdAt + absolute timeout; no renewal goes past it. */
  absoluteExpiresAt: number;
  openid: string;
  unionid: string | null;
  /** Client IP and User-Agent at login. */
  ip: string;
  userAgent: string;
}

const VERSION = 1;

/** Serialises a record for Redis (userId and sid live in the key, not the value). */
export function encodeRecord(r: SessionRecord): string {
  return JSON.stringify([
    VERSION,
    r.createdAt,
    r.lastSeenAt,
    r.expiresAt,
    r.absoluteExpiresAt,
    r.openid,
    r.unionid ?? 0,
    r.ip,
    r.userAgent,
  ]);
}

/**
 * Parses a stored record.
 * @returns null for anything that is not a record this version wrote (treated as no session)
 */
export function decodeRecord(userId: number, sid: string, raw: string): SessionRecord | null {
  let a: unknown;
  try {
    a = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(a) || a.length !== 9 || a[0] !== VERSION) return null;
  const [, createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, openid, unionid, ip, userAgent] = a;
  if (typeof createdAt !== "number" || typeof lastSeenAt !== "number" || typeof expiresAt !== "number") return null;
  if (typeof absoluteExpiresAt !== "number" || typeof openid !== "string") return null;
  return {
    userId,
    sid,
    createdAt,
    lastSeenAt,
    expiresAt,
    absoluteExpiresAt,
    openid,
    unionid: typeof unionid === "string" ? unionid : null,
    ip: typeof ip === "string" ? ip : "",
    userAgent: typeof userAgent === "string" ? userAgent : "",
  };
}
