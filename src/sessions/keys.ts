/**
 * The Redis key layout. Every key of one user carries the hash tag `{u<userId>}`, so all of
 * them live in one Redis Cluster slot and one Lua script can update a session and the user's
 * index together (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 *
 * | key                        | type   | holds                                         | TTL                         |
 * |----------------------------|--------|-----------------------------------------------|-----------------------------|
 * | `<p>{u<id>}:s:<sid>`       | string | the session record (record.ts)                | the session's expiresAt     |
 * | `<p>{u<id>}:idx`           | zset   | sid → expiresAt (ms): the user's live sessions | the latest member's expiry |
 * | `<p>{u<id>}:sk`            | string | `<sid>:<AES-256-GCM session_key>` (newest login) | the absolute timeout     |
 * | `<p>{u<id>}:ban`           | string | ban marker, mirrors users.banned_at            | the absolute timeout       |
 *
 * `<p>` is REDIS_KEY_PREFIX (default `tx:`).
 */

/** Builds the keys of one deployment (one prefix). */
export class SessionKeys {
  constructor(readonly prefix: string) {}

  /** Prefix of a user's session keys; the scripts append a sid to it. */
  sessionPrefix(userId: number): string {
    return `${this.prefix}{u${userId}}:s:`;
  }

  session(userId: number, sid: string): string {
    return `${this.prefix}{u${userId}}:s:${sid}`;
  }

  index(userId: number): string {
    return `${this.prefix}{u${userId}}:idx`;
  }

  sessionKey(userId: number): string {
    return `${this.prefix}{u${userId}}:sk`;
  }

  ban(userId: number): string {
    return `${this.prefix}{u${userId}}:ban`;
  }
}
