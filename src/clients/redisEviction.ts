/**
 * The eviction check at start (REDIS_EVICTION_CHECK). A Redis at its maxmemory evicts keys by
 * its maxmemory-policy, and for tongxing an evicted key is a silent logout, a lost ban or a
 * forgotten revocation. Only `noeviction` is safe: the volatile-* policies evict keys that have
 * a TTL, and every session key has one, and the allkeys-* policies evict anything. Under
 * noeviction a full Redis refuses writes instead, which tongxing answers with 503 (a failure
 * that shows) rather than forgetting sessions (one that does not).
 * The policies: https://redis.io/docs/latest/develop/reference/eviction/
 */
import { Cluster } from "ioredis";
import type { Logger } from "pino";
import type { RedisClient } from "./redis.js";

/** REDIS_EVICTION_CHECK: warn (default), refuse to start, or skip the check. */
export type EvictionCheck = "warn" | "refuse" | "off";

/**
 * Reads maxmemory-policy (CONFIG GET, on every master of a Cluster) and warns, or throws with
 * `refuse`, when it is anything but noeviction. A Redis that refuses CONFIG (managed services
 * rename or forbid it, and an ACL user need not have it) is logged as not checked, and the start
 * goes on whatever the setting: the policy is then the operator's to verify.
 * @throws Error naming the policy, with `refuse` and an evicting policy
 */
export async function checkEvictionPolicy(redis: RedisClient, check: EvictionCheck, log: Logger): Promise<void> {
  if (check === "off") return;
  const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
  for (const node of nodes) {
    const where = `${node.options.host}:${node.options.port}`;
    let policy: string | undefined;
    try {
      // CONFIG GET answers [name, value] (RESP2).
      policy = ((await node.config("GET", "maxmemory-policy")) as string[])[1];
    } catch (err) {
      log.warn(
        { redis: where, reason: (err as Error).message },
        "could not check maxmemory-policy (CONFIG GET refused); make sure it is noeviction, or Redis may evict sessions",
      );
      continue;
    }
    if (policy === undefined || policy === "noeviction") continue;
    const message = `Redis maxmemory-policy is ${policy} at ${where}: at maxmemory it evicts keys (volatile-* policies too: every session key has a TTL), so users are logged out and bans forgotten without a trace. Set maxmemory-policy noeviction`;
    if (check === "refuse") throw new Error(`${message} (REDIS_EVICTION_CHECK=refuse)`);
    log.warn({ redis: where, policy }, `${message} (REDIS_EVICTION_CHECK=warn)`);
  }
}
