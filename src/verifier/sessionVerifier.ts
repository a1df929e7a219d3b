/**
 * tongxing's session check as a library, for a business API written in Node (Express, Fastify,
 * NestJS, Koa, a WebSocket upgrade): it reads the sessions tongxing wrote in Redis, with the
 * same code the service runs (sessions.ts `resolveSession`), so expiry, renewal, revocation and
 * bans are the service's own, not a copy of them.
 */
import { Redis } from "ioredis";
import { presentVerifiedSession, type VerifiedSession } from "../presenters/session.js";
import { resolveSession } from "../sessions/sessions.js";
import { type RedisClient, SessionStore } from "../sessions/store.js";
import { primaryAppidKey } from "../wechat/apps.js";

export type { VerifiedSession };

/** Options of createSessionVerifier; the defaults are the service's. */
export interface SessionVerifierOptions {
  /**
   * tongxing's Redis: a URL (`redis://host:6379`; the verifier opens and closes its connection)
   * or your own ioredis `Redis` or `Cluster` (left open by close()). Commands are defined on a
   * client you pass in (the session scripts, named `tx*`).
   */
  redis: string | RedisClient;
  /** tongxing's REDIS_KEY_PREFIX. Default "tx:". */
  keyPrefix?: string;
  /** tongxing's SESSION_IDLE_TTL, seconds (default 604800): decides when a check renews a session. */
  idleTtl?: number;
  /**
   * tongxing's SESSION_MAX_AGE, seconds (default 2592000). Each session carries its absolute
   * expiry from login, so this only has to match the service's for consistency.
   */
  maxAge?: number;
}

/** A session verifier bound to one Redis. */
export interface SessionVerifier {
  /**
   * Checks a token as tongxing does on each request (one Redis read; one write when the
   * sliding renewal is due).
   * @param token - the user's token as sent (X-WX-Token, or the credential of Authorization: Bearer)
   * @returns the session, or null for a missing, malformed, unknown, expired or revoked token, or
   *   a banned user
   * @throws when Redis cannot be asked: never treat that as a pass (answer 503)
   */
  verify(token: string | null | undefined): Promise<VerifiedSession | null>;
  /** Closes the Redis connection the verifier opened from a URL (a client you passed stays open). */
  close(): Promise<void>;
}

/** tongxing's defaults (src/config.ts), repeated here for the library's callers. */
export const SESSION_DEFAULTS = { keyPrefix: "tx:", idleTtl: 604_800, maxAge: 2_592_000 } as const;

/**
 * Creates a verifier of tongxing sessions.
 * @throws TypeError for an idleTtl or maxAge that is not a positive whole number of seconds
 */
export function createSessionVerifier(options: SessionVerifierOptions): SessionVerifier {
  const idleTtl = options.idleTtl ?? SESSION_DEFAULTS.idleTtl;
  const maxAge = options.maxAge ?? SESSION_DEFAULTS.maxAge;
  for (const [name, value] of [
    ["idleTtl", idleTtl],
    ["maxAge", maxAge],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive whole number of seconds`);
  }
  const owned = typeof options.redis === "string";
  // Close to the service's client (clients/redis.ts), but created synchronously: commands wait
  // for the first connection, and while Redis is down a check fails after one retry or a
  // second (commandTimeout) instead of hanging; ioredis keeps reconnecting in the background.
  const redis: RedisClient =
    typeof options.redis === "string"
      ? new Redis(options.redis, { enableAutoPipelining: true, enableOfflineQueue: true, maxRetriesPerRequest: 1, commandTimeout: 1000 })
      : options.redis;
  // Without a listener ioredis prints every reconnect failure; the failed verify() reports it.
  if (owned) redis.on("error", () => {});
  const prefix = options.keyPrefix ?? SESSION_DEFAULTS.keyPrefix;
  const store = new SessionStore(redis, prefix, "");
  return {
    async verify(token) {
      if (!token) return null;
      // Which appid the primary app's sessions belong to, as tongxing recorded it at start; read
      // once (until found), so a session's appid is known without extra reads per check.
      if (!store.primaryAppid) store.primaryAppid = (await redis.get(primaryAppidKey(prefix))) ?? "";
      const record = await resolveSession(store, idleTtl, Date.now(), token);
      return record && presentVerifiedSession(record);
    },
    async close() {
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
