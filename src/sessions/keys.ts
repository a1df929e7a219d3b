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
 * | `o`, `u`              | the user's openid and unionid (unionid absent when WeChat gave none) |
 * | `k`, `ks`             | the newest session_key, sealed (sessionKeyVault.ts), and the sid of the login that delivered it |
 * | `b`                   | ban marker: epoch ms until which it holds (mirrors users.banned_at) |
 * | `a<ref><n>`           | piece n of a stored User-Agent (userAgent.ts)                      |
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

/** Field names of the user hash (see the table above). */
export const FIELD = { openid: "o", unionid: "u", sessionKey: "k", sessionKeySid: "ks", ban: "b" } as const;
