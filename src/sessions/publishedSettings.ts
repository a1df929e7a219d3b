/**
 * The service's session settings, published in Redis for the library's verifier
 * (src/verifier/sessionVerifier.ts), so a business API checks sessions under the service's own
 * timeouts instead of a copy in its configuration that may drift.
 *
 * Keys (`<p>` is REDIS_KEY_PREFIX):
 * - `<p>primary_appid`: the appid that owns the primary app's slot (keys.ts); written at start by
 *   adoptPrimaryApp (wechat/apps.ts);
 * - `<p>settings`: a hash, `idle_ttl` and `max_age` (SESSION_IDLE_TTL and SESSION_MAX_AGE, seconds).
 *
 * Why the library needs them: the sliding renewal writes `now + idleTtl` (sessions.ts), so a
 * verifier renewing with a longer idle timeout than the service's would lengthen every session it
 * checks (OWASP ASVS V3.3.2: the idle timeout is the server's). And a session of the primary app
 * names no appid in Redis: without `primary_appid` the library could only answer "". So each is
 * required: the library refuses to answer without them, and every instance writes them again
 * within REPUBLISH_MS when they are gone (a Redis restarted without persistence, a FLUSHALL).
 */
import type { Logger } from "pino";
import type { RedisClient } from "../clients/redis.js";
import { primaryAppidKey } from "../wechat/apps.js";

/** What the service publishes; durations in seconds. */
export interface PublishedSettings {
  primaryAppid: string;
  idleTtl: number;
  maxAge: number;
}

/** The hash holding `idle_ttl` and `max_age`. */
export const settingsKey = (prefix: string) => `${prefix}settings`;

/** How often each instance checks that its settings are still in Redis, in milliseconds. */
export const REPUBLISH_MS = 2_000;

/**
 * Writes the session settings (the primary appid is adoptPrimaryApp's): at start, replacing what
 * an earlier configuration wrote.
 * @throws whatever ioredis throws
 */
export async function publishSettings(redis: RedisClient, prefix: string, s: Omit<PublishedSettings, "primaryAppid">): Promise<void> {
  await redis.hset(settingsKey(prefix), { idle_ttl: String(s.idleTtl), max_age: String(s.maxAge) });
}

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

/**
 * Every REPUBLISH_MS, writes whichever of the settings is missing (SET NX, HSETNX: a newer
 * configuration's instance, started later, wins over an older one still running in a rolling
 * deploy). A failed check is logged at debug level and tried again on the next tick.
 * @returns stop(): ends the timer and resolves once a check in flight is done, so the caller can
 *   close the connection after it (a command cut off by a Cluster client's quit can throw inside
 *   ioredis's auto-pipelining, out of reach of any catch)
 */
export function keepSettingsPublished(redis: RedisClient, prefix: string, s: PublishedSettings, log: Logger): { stop(): Promise<void> } {
  let inFlight: Promise<void> | undefined;
  const check = async () => {
    const [appid, idle, max] = await Promise.all([
      redis.set(primaryAppidKey(prefix), s.primaryAppid, "NX"),
      redis.hsetnx(settingsKey(prefix), "idle_ttl", String(s.idleTtl)),
      redis.hsetnx(settingsKey(prefix), "max_age", String(s.maxAge)),
    ]);
    if (appid || idle || max) log.warn({ prefix }, "the session settings were missing from Redis: published them again");
  };
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = check()
      .catch((err) => log.debug({ err }, "could not check the published settings"))
      .finally(() => {
        inFlight = undefined;
      });
  }, REPUBLISH_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}
