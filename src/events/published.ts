/**
 * Where events go, published in Redis for the admin CLI. A ban, a revocation or an account
 * deletion from `tongxing-admin` reports events like the admin API's, so the CLI records them in
 * the outbox for the running instances to deliver; it reads its endpoints here instead of from
 * WEBHOOKS, which holds the secrets an operator's shell should not need (cli/backends.ts). What is
 * published is what recording needs: each endpoint's URL, event filter and includeOpenid, and
 * WEBHOOK_GIVE_UP_AFTER; never a secret.
 *
 * Key `<p>webhooks` (REDIS_KEY_PREFIX): that JSON. Written at start (the newest configuration
 * wins, as for the session settings: sessions/publishedSettings.ts), and written again within
 * REPUBLISH_MS by any instance that finds it gone. `{"endpoints": []}` says "none configured".
 */
import type { Logger } from "pino";
import { z } from "zod";
import type { RedisClient } from "../clients/redis.js";
import { REPUBLISH_MS, republishEvery } from "../sessions/publishedSettings.js";
import type { EndpointRoute } from "./events.js";
import { EVENT_TYPES } from "./types.js";

/** What the CLI needs to record events as the service does. */
export interface PublishedRoutes {
  endpoints: EndpointRoute[];
  /** Seconds (WEBHOOK_GIVE_UP_AFTER). */
  giveUpAfter: number;
}

export const webhooksKey = (prefix: string) => `${prefix}webhooks`;

const published = z.object({
  endpoints: z.array(z.object({ url: z.string(), events: z.array(z.enum(EVENT_TYPES)).nullable(), includeOpenid: z.boolean() })),
  giveUpAfter: z.number().int().positive(),
});

const encode = (r: PublishedRoutes) =>
  JSON.stringify({
    endpoints: r.endpoints.map((e) => ({ url: e.url, events: e.events, includeOpenid: e.includeOpenid })),
    giveUpAfter: r.giveUpAfter,
  });

/**
 * Publishes `routes` now, then every REPUBLISH_MS writes them again if they are gone.
 * @throws whatever ioredis throws on the first write
 * @returns stop(): ends the timer and waits for a write in flight
 */
export async function publishWebhookRoutes(
  redis: RedisClient,
  prefix: string,
  routes: PublishedRoutes,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  const value = encode(routes);
  await redis.set(webhooksKey(prefix), value);
  return republishEvery(REPUBLISH_MS, log, "the published webhook endpoints", async () => {
    if (await redis.set(webhooksKey(prefix), value, "NX"))
      log.warn({ prefix }, "the webhook endpoints were missing from Redis: published them again");
  });
}

/**
 * What the service published.
 * @returns null when nothing (or something malformed) is published: no instance of this version
 *   has started with this prefix, or Redis lost it and none has written it again yet
 * @throws whatever ioredis throws
 */
export async function readWebhookRoutes(redis: RedisClient, prefix: string): Promise<PublishedRoutes | null> {
  const text = await redis.get(webhooksKey(prefix));
  if (!text) return null;
  try {
    return published.parse(JSON.parse(text));
  } catch {
    return null;
  }
}
