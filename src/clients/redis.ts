/**
 * The Redis connection. Options chosen for a session service:
 * - enableAutoPipelining: concurrent requests' GETs share one write to the socket
 *   (../shared/notes/baselines.md: 0.82 vs 0.71 of a bare route);
 * - no offline queue and one retry per command: while Redis is down a request fails at once
 *   with 503 instead of hanging, and ioredis keeps reconnecting in the background;
 * - commandTimeout: a Redis that accepts connections but does not answer fails a request in
 *   at most that many milliseconds.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "../sessions/store.js";

const COMMON: RedisOptions = {
  lazyConnect: true,
  enableAutoPipelining: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  retryStrategy: (times) => Math.min(50 * times, 500),
};

/**
 * Connects to Redis (or, with `clusterNodes`, a Redis Cluster) and waits until it is ready.
 * @param clusterNodes - "host:port,host:port" seed nodes; empty for a single Redis
 * @throws when the first connection fails
 */
export async function connectRedis(url: string, clusterNodes?: string): Promise<RedisClient> {
  if (clusterNodes) {
    const nodes = clusterNodes.split(",").map((hp) => {
      const [host, port] = hp.trim().split(":");
      return { host: host as string, port: Number(port) };
    });
    const cluster = new Cluster(nodes, {
      lazyConnect: true,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      redisOptions: { ...COMMON, lazyConnect: undefined },
      clusterRetryStrategy: (times) => Math.min(50 * times, 500),
    });
    await cluster.connect();
    return cluster;
  }
  const redis = new Redis(url, COMMON);
  await redis.connect();
  return redis;
}
