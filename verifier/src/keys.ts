/**
 * The Redis key layout: one hash per user. Its key carries the hash tag `{u<userId>}`, so
 * everything of one user lives in one Redis Cluster slot and one Lua script can change it
 * atomically (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 *
 * Key `<p>{u<id>}` (`<p>` is REDIS_KEY_PREFIX, default `tx:`), a hash with these fields:
 *
 * | field                 | holds                                                             |
 * |-----------------------|-------------------------------------------------------------------|
 * | `<sid>` (22 chars)    | one session (record.ts); the hash's session fields are the index  |
 * | `o`, `u`              | the user's openid and unionid in the primary app (unionid absent when WeChat gave none) |
 * | `k`, `ks`             | the newest session_key in the primary app, sealed (the service's sessionKeyVault.ts), and the sid of the login that delivered it |
 * | `p<n>`                | the appid of another app the user logged in from: app slot `n` (one of 0-9a-z) |
| `t`, `t<n>`           | the platform of the primary app, of the app in slot `n` (absent: `wechat`, so data written before other platforms reads as WeChat's) |
 * | `o<n>`, `u<n>`, `k<n>`, `ks<n>` | the same as `o`, `u`, `k`, `ks`, for the app in slot `n` |
 * | `e<sid>` (23 chars)   | that session's step-up: `<at>,<until>` (base-36 epoch ms), dropped with the session |
| `~<sid>` (23 chars)   | why that session ended: `<letter>,<keep until>` (sessionEnd.ts), kept until the session's own expiresAt, 16 per user at most |
| `b`                   | ban marker: epoch ms until which it holds (mirrors users.banned_at) |
| `br`                  | the ban's reason, when the operator gave one |
| `bt`                  | `1` when the ban ends at the marker's time (told to clients as bannedUntil); absent: the ban lasts until an operator lifts it |
| `r`                   | the user's restrictions (restrictions.ts), copied from the service's database |
 * | `a<ref><n>`           | piece n of a stored User-Agent (the service's userAgent.ts)              |
 *
 * A session's record names its app's slot (record.ts); a record without one is of the primary
 * app (WECHAT_APPID, or the first of WECHAT_APPS), so sessions written before tongxing knew
 * several apps keep working and the primary app's hot path stays one HMGET.
 *
 * The key's TTL is the latest expiresAt of its sessions (or the ban's, if later). A session
 * past its expiresAt is dead at once (the hot path checks the time) and its field is removed
 * by the next script that touches the user; no keyspace notifications are needed.
 *
 * Every value stays under 64 bytes (IPv4 clients) and a user has a handful of fields, so Redis
 * keeps the hash in its listpack encoding: a few hundred bytes for the user and all of their
 * sessions, instead of a key, a TTL and an index entry per session.
 */

/** Builds the keys of one deployment (one prefix). */
export class SessionKeys {
  constructor(readonly prefix: string) {}

  /** The hash holding all of a user's sessions. */
  user(userId: number): string {
    return `${this.prefix}{u${userId}}`;
  }
}

/** Field names of the user hash (see the table above); `slot` is "" for the primary app. */
export const FIELD = {
  ban: "b",
  banReason: "br",
  banHasEnd: "bt",
  restrictions: "r",
  elevation: (sid: string) => `e${sid}`,
  appid: (slot: string) => `p${slot}`,
  openid: (slot: string) => `o${slot}`,
  unionid: (slot: string) => `u${slot}`,
  sessionKey: (slot: string) => `k${slot}`,
  sessionKeySid: (slot: string) => `ks${slot}`,
  platform: (slot: string) => `t${slot}`,
} as const;
