/**
 * tongxing's session check as a library, for a business API written in Node (Express, Fastify,
 * NestJS, Koa, a WebSocket upgrade): it reads the sessions tongxing wrote in Redis, with the
 * same code the service runs (resolveSession.ts, which the service imports from this package), so expiry, renewal, revocation and
 * bans are the service's own, not a copy of them.
 */
import { Redis } from "ioredis";
import { readSettings } from "./publishedSettings.js";
import { checkSession, isEnd, resolveSession } from "./resolveSession.js";
import { SessionCache } from "./sessionCache.js";
import type { SessionEnd } from "./sessionEnd.js";
import { type RedisClient, SessionReader } from "./sessionReader.js";
import { presentVerifiedSession, type VerifiedSession } from "./verifiedSession.js";

export type { VerifiedSession };

/** Options of createSessionVerifier; the defaults are the service's. */
export interface SessionVerifierOptions {
  /**
   * tongxing's Redis: a URL (`redis://host:6379`; the verifier opens and closes its connection)
   * or your own ioredis `Redis` or `Cluster` (left open by close()). Commands are defined on a
   * client you pass in (the session scripts, named `tx*`).
   */
  redis: string | RedisClient;
  /**
   * TLS for a `rediss://` URL: `ca` is the PEM CA bundle the server's certificate must chain to
   * (the file tongxing's REDIS_TLS_CA_FILE names, read in). Without it, Node's default CAs.
   * Ignored for a client you pass in: give that client its own TLS options.
   */
  tls?: { ca: string | Buffer };
  /** tongxing's REDIS_KEY_PREFIX. Default "tx:". */
  keyPrefix?: string;
  /**
   * Seconds. The idle timeout is the service's SESSION_IDLE_TTL, which the service publishes in
   * Redis; this option can only shorten the window the verifier renews with (the smaller of the
   * two is used), never lengthen a session. Default: the service's.
   */
  idleTtl?: number;
  /**
   * Seconds. Not used: each session carries its absolute expiry from login (the service's
   * SESSION_MAX_AGE). Still checked, for configurations written for earlier versions.
   */
  maxAge?: number;
  /**
   * Keep resolved sessions in memory, kept exact by Redis's client-side caching exactly as the
   * service's SESSION_CACHE (sessionCache.ts): a logout, revocation or ban made anywhere
   * is refused on the next check; while Redis cannot confirm it delivers invalidations, every
   * check reads Redis. It spends a second connection and switches CLIENT TRACKING on for the
   * verifier's connection. Default: on when the verifier opens its connection from a URL; off for
   * a client you pass in (your connection's tracking is yours). Never on Redis Cluster.
   */
  cache?: boolean;
}

/** A session verifier bound to one Redis. */
export interface SessionVerifier {
  /**
   * Checks a token as tongxing does on each request (one Redis read; one write when the
   * sliding renewal is due).
   * @param token - the user's token as sent (X-WX-Token, or the credential of Authorization: Bearer)
   * @returns the session, or null for a missing, malformed, unknown, expired or revoked token, or
   *   a banned user
   * @throws when Redis cannot be asked, or holds none of the settings the service publishes at
   *   start (a wrong keyPrefix, or a Redis that lost them for the few seconds before the service
   *   writes them again): never treat that as a pass (answer 503)
   */
  verify(token: string | null | undefined): Promise<VerifiedSession | null>;
  /**
   * verify() with the reason of a refusal: why the session is not live (sessionEnd.ts), so a
   * business API can answer "logged in on another device" or "banned until ...".
   * @returns the session, or `{ reason, bannedUntil?, banReason? }` (a missing token: UNKNOWN)
   * @throws as verify() does
   */
  check(token: string | null | undefined): Promise<VerifiedSession | SessionEnd>;
  /** Closes the Redis connection the verifier opened from a URL (a client you passed stays open). */
  close(): Promise<void>;
}

/**
 * tongxing's defaults (its src/config/config.ts), for the library's callers. The verifier itself takes the
 * timeouts the service publishes in Redis.
 */
export const SESSION_DEFAULTS = { keyPrefix: "tx:", idleTtl: 604_800, maxAge: 2_592_000 } as const;

/**
 * Creates a verifier of tongxing sessions.
 * @throws TypeError for an idleTtl or maxAge that is not a positive whole number of seconds
 */
export function createSessionVerifier(options: SessionVerifierOptions): SessionVerifier {
  for (const name of ["idleTtl", "maxAge"] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0))
      throw new TypeError(`${name} must be a positive whole number of seconds`);
  }
  const owned = typeof options.redis === "string";
  // Close to the service's client (its src/clients/redis.ts), but created synchronously: commands wait
  // for the first connection, and while Redis is down a check fails after one retry or a
  // second (commandTimeout) instead of hanging; ioredis keeps reconnecting in the background.
  const redis: RedisClient =
    typeof options.redis === "string"
      ? new Redis(options.redis, {
          enableAutoPipelining: true,
          enableOfflineQueue: true,
          maxRetriesPerRequest: 1,
          commandTimeout: 1000,
          // Only for rediss://: a CA given with a redis:// URL must not turn TLS on by surprise.
          ...(options.tls && options.redis.startsWith("rediss://") && { tls: { ca: options.tls.ca } }),
        })
      : options.redis;
  // Without a listener ioredis prints every reconnect failure; the failed verify() reports it.
  if (owned) redis.on("error", () => {});
  const prefix = options.keyPrefix ?? SESSION_DEFAULTS.keyPrefix;
  const store = new SessionReader(redis, prefix, "");
  const cache = (options.cache ?? owned) && redis instanceof Redis ? new SessionCache({ ...CACHE, prefix }, silent) : undefined;
  // Not awaited: until tracking is on, the cache is not usable and every check reads Redis.
  if (cache && redis instanceof Redis) void cache.start(redis);
  let settings: { idleTtl: number; readAt: number } | undefined;

  /** The service's published settings, read again at most every SETTINGS_MAX_AGE_MS. */
  async function currentIdleTtl(now: number): Promise<number> {
    if (!settings || now - settings.readAt >= SETTINGS_MAX_AGE_MS) {
      const published = await readSettings(redis, prefix);
      if (!published)
        throw new Error(
          `tongxing's session settings are not in Redis under the prefix ${JSON.stringify(prefix)} (${prefix}primary_appid, ${prefix}settings): start the service with this REDIS_KEY_PREFIX`,
        );
      store.primaryAppid = published.primaryAppid;
      settings = { idleTtl: Math.min(published.idleTtl, options.idleTtl ?? published.idleTtl), readAt: now };
    }
    return settings.idleTtl;
  }

  return {
    async verify(token) {
      if (!token) return null;
      const now = Date.now();
      const record = await resolveSession(store, await currentIdleTtl(now), now, token, cache);
      return record && presentVerifiedSession(record);
    },
    async check(token) {
      if (!token) return { reason: "UNKNOWN" };
      const now = Date.now();
      const result = await checkSession(store, await currentIdleTtl(now), now, token, cache);
      return isEnd(result) ? result : presentVerifiedSession(result);
    },
    async close() {
      cache?.stop();
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * How long the verifier uses the settings it read, in milliseconds: a service restarted with
 * another SESSION_IDLE_TTL is followed within this, at the cost of one Redis read per period.
 */
const SETTINGS_MAX_AGE_MS = 5_000;

/** The service's SESSION_CACHE_TTL and SESSION_CACHE_MAX defaults (the service's config.ts): milliseconds, sessions. */
const CACHE = { ttlMs: 60_000, maxSessions: 100_000 } as const;

/** The library logs nothing (a failed check throws instead): the cache's notices go nowhere. */
const silent = { info() {}, warn() {} };
