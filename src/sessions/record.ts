/**
 * A session as stored in Redis: one field of the user's hash (keys.ts), named by the sid, whose
 * value is short enough (under 64 bytes for IPv4 clients) for Redis to keep the whole hash in
 * its compact listpack encoding. openid and unionid are per user and live once in the hash;
 * the User-Agent is stored once per user and distinct User-Agent (userAgent.ts) and named here
 * by a 6-character reference.
 *
 * Value: `<createdAt>,<lastSeenAt − createdAt>,<expiresAt − lastSeenAt>,<absoluteExpiresAt − createdAt>,<userAgentRef>,<ip>`
 * with the four numbers in base 36 (epoch milliseconds and millisecond differences). The Lua
 * scripts in store.ts read the first three numbers to find createdAt and expiresAt.
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
  /** Client IP at login. */
  ip: string;
  /** Names the login's User-Agent among the user's stored ones (userAgent.ts). */
  userAgentRef: string;
}

/** A session as listed to its owner or an admin: the record and the login's User-Agent. */
export interface ListedSession extends SessionRecord {
  userAgent: string;
}

const RECORD_RE = /^([0-9a-z]{1,11}),([0-9a-z]{1,11}),([0-9a-z]{1,11}),([0-9a-z]{1,11}),([A-Za-z0-9_-]{6}),(.*)$/;

/** Serialises a record for its hash field (userId, sid, openid and unionid are stored elsewhere). */
export function encodeRecord(r: SessionRecord): string {
  const b36 = (n: number) => Math.max(0, Math.round(n)).toString(36);
  return `${b36(r.createdAt)},${b36(r.lastSeenAt - r.createdAt)},${b36(r.expiresAt - r.lastSeenAt)},${b36(r.absoluteExpiresAt - r.createdAt)},${r.userAgentRef},${r.ip}`;
}

/**
 * Parses a stored record.
 * @param openid - the user's openid field; a record without one is not a session
 * @returns null for anything that is not a record this version wrote (treated as no session)
 */
export function decodeRecord(
  userId: number,
  sid: string,
  raw: string,
  openid: string | null,
  unionid: string | null,
): SessionRecord | null {
  const m = RECORD_RE.exec(raw);
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
    openid,
    unionid: unionid || null,
    userAgentRef: m[5] as string,
    ip: m[6] as string,
  };
}
