/**
 * Keeps the service's session settings published in Redis for the library's verifier: what the
 * keys hold and why the library needs them is on verifier/src/publishedSettings.ts, which reads them.
 */
import type { Logger } from "pino";
import { type PublishedSettings, primaryAppidKey, settingsKey } from "../../verifier/src/publishedSettings.js";
import type { RedisClient } from "../clients/redis.js";

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
 * Every REPUBLISH_MS, writes whichever of the settings is missing (SET NX, HSETNX: a newer
 * configuration's instance, started later, wins over an older one still running in a rolling
 * deploy). A failed check is logged at debug level and tried again on the next tick.
 * @returns stop(): ends the timer and resolves once a check in flight is done, so the caller can
 *   close the connection after it (a command cut off by a Cluster client's quit can throw inside
 *   ioredis's auto-pipelining, out of reach of any catch)
 */
export function keepSettingsPublished(redis: RedisClient, prefix: string, s: PublishedSettings, log: Logger): { stop(): Promise<void> } {
  return republishEvery(REPUBLISH_MS, log, "the published settings", async () => {
    const [appid, idle, max] = await Promise.all([
      redis.set(primaryAppidKey(prefix), s.primaryAppid, "NX"),
      redis.hsetnx(settingsKey(prefix), "idle_ttl", String(s.idleTtl)),
      redis.hsetnx(settingsKey(prefix), "max_age", String(s.maxAge)),
    ]);
    if (appid || idle || max) log.warn({ prefix }, "the session settings were missing from Redis: published them again");
  });
}

/**
 * Runs `check` every `ms` milliseconds, one at a time (a tick while one runs is skipped); a failed
 * check is logged at debug level and tried again on the next tick. What every value an instance
 * keeps published in Redis (settings, webhook routes) shares.
 * @param what - names the value in the debug line
 * @returns stop(): ends the timer and resolves once a check in flight is done
 */
export function republishEvery(ms: number, log: Logger, what: string, check: () => Promise<unknown>): { stop(): Promise<void> } {
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = check()
      .then(() => {})
      .catch((err: unknown) => log.debug({ err }, `could not check ${what}`))
      .finally(() => {
        inFlight = undefined;
      });
  }, ms);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}
