/**
 * The service's session settings, published in Redis for the library's verifier
 * (sessionVerifier.ts), so a business API checks sessions under the service's own
 * timeouts instead of a copy in its configuration that may drift.
 *
 * Keys (`<p>` is REDIS_KEY_PREFIX):
 * - `<p>primary_appid`: the appid that owns the primary app's slot (keys.ts); written at start by
 *   adoptPrimaryApp (the service's src/wechat/apps.ts);
 * - `<p>settings`: a hash, `idle_ttl` and `max_age` (SESSION_IDLE_TTL and SESSION_MAX_AGE, seconds).
 *
 * Why the library needs them: the sliding renewal writes `now + idleTtl` (resolveSession.ts), so a
 * verifier renewing with a longer idle timeout than the service's would lengthen every session it
 * checks (OWASP ASVS V3.3.2: the idle timeout is the server's). And a session of the primary app
 * names no appid in Redis: without `primary_appid` the library could only answer "". So each is
 * required: the library refuses to answer without them, and every instance writes them again
 * within REPUBLISH_MS (the service's src/sessions/publishedSettings.ts) when they are gone (a Redis restarted without persistence, a FLUSHALL).
 */
import type { RedisClient } from "./sessionReader.js";

/** The Redis key recording which appid owns the primary app's slot (keys.ts) in a deployment. */
export const primaryAppidKey = (prefix: string) => `${prefix}primary_appid`;

/** What the service publishes; durations in seconds. */
export interface PublishedSettings {
  primaryAppid: string;
  idleTtl: number;
  maxAge: number;
}

/** The hash holding `idle_ttl` and `max_age`. */
export const settingsKey = (prefix: string) => `${prefix}settings`;

/**
 * Reads what the service published.
 * @returns null when any of it is missing or malformed (the service has not started with this
 *   prefix, or Redis lost it and no instance has written it again yet)
 * @throws whatever ioredis throws
 */
export async function readSettings(redis: RedisClient, prefix: string): Promise<PublishedSettings | null> {
  // Two keys in two Cluster slots: two commands, sent together.
  const [primaryAppid, [idleTtl, maxAge]] = await Promise.all([
    redis.get(primaryAppidKey(prefix)),
    redis.hmget(settingsKey(prefix), "idle_ttl", "max_age"),
  ]);
  const seconds = (v: string | null | undefined) => (v && /^[1-9]\d{0,9}$/.test(v) ? Number(v) : null);
  const idle = seconds(idleTtl);
  const max = seconds(maxAge);
  return primaryAppid && idle && max ? { primaryAppid, idleTtl: idle, maxAge: max } : null;
}
