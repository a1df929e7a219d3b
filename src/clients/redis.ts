/**
 * The Redis connection. Options chosen for a session service:
 * - enableAutoPipelining: concurrent requests' GETs share one write to the socket
 *   (in the bench a checked route ran at 0.82 of a bare Koa route with it, 0.71 without);
 * - no offline queue and one retry per command: while Redis is down a request fails at once
 *   with 503 instead of hanging, and ioredis keeps reconnecting in the background;
 * - commandTimeout: a Redis that accepts connections but does not answer fails a request in
 *   at most that many milliseconds.
 * Credentials and TLS come from REDIS_URL (`redis://user:password@host`, `rediss://` for TLS)
 * and REDIS_TLS_CA_FILE; a Cluster's nodes get the same ones.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { type StartupWait, waitUntilReady } from "./readiness.js";
import { checkEvictionPolicy, type EvictionCheck } from "./redisEviction.js";

/** A single Redis or a Redis Cluster; every module that talks to Redis takes either. */
export type RedisClient = Redis | Cluster;

const COMMON: RedisOptions = {
  lazyConnect: true,
  enableAutoPipelining: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  retryStrategy: (times) => Math.min(50 * times, 500),
};

/** How connectRedis authenticates, encrypts and checks, beyond what REDIS_URL says. */
export interface RedisConnectOptions {
  /** PEM CA bundle (REDIS_TLS_CA_FILE) the server's certificate must chain to; used with rediss://. */
  tlsCa?: Buffer;
  /** REDIS_EVICTION_CHECK; default "warn". */
  evictionCheck?: EvictionCheck;
}

/**
 * The user, password and TLS options of `url`, for clients that do not take the URL itself (a
 * Cluster's nodes, a probe): `rediss://` turns TLS on, verified against `tlsCa` when given, else
 * against Node's default CAs. duplicate() copies them, so the session cache's invalidation
 * connection authenticates and encrypts as the data connection does.
 */
export function redisAuthOptions(url: string, tlsCa?: Buffer): Pick<RedisOptions, "username" | "password" | "tls"> {
  const u = new URL(url);
  return {
    ...(u.username && { username: decodeURIComponent(u.username) }),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    ...(u.protocol === "rediss:" && { tls: tlsCa ? { ca: tlsCa } : {} }),
  };
}

/**
 * Connects to Redis (or, with `clusterNodes`, a Redis Cluster) and waits until it is ready,
 * saying every few seconds what it waits for (readiness.ts); then checks maxmemory-policy
 * (redisEviction.ts).
 * @param url - REDIS_URL; with `clusterNodes` only its user, password and scheme are used
 * @param clusterNodes - "host:port,host:port" seed nodes; empty for a single Redis
 * @param wait - the start's deadline (STARTUP_TIMEOUT)
 * @throws BackendNotReadyError when it is not ready by the deadline (a wrong password or an
 *   untrusted certificate is named as the reason); Error naming the policy with
 *   `evictionCheck: "refuse"` and an evicting maxmemory-policy
 */
export async function connectRedis(
  url: string,
  log: Logger,
  clusterNodes: string | undefined,
  wait: StartupWait,
  options: RedisConnectOptions = {},
): Promise<RedisClient> {
  const auth = redisAuthOptions(url, options.tlsCa);
  const client = clusterNodes ? createCluster(clusterNodes, auth) : new Redis(url, { ...COMMON, ...auth });
  defineScripts(client);
  // Without an 'error' listener ioredis prints every reconnect failure to the console. Log the
  // state changes once each instead: down (with the first error), and up again.
  let up = false;
  let lastError: Error | undefined;
  client.on("ready", () => {
    if (!up) log.info("redis connected");
    up = true;
  });
  client.on("error", (err: Error) => {
    if (up) log.error({ err }, "redis connection lost; requests get 503 until it is back");
    up = false;
    lastError = err;
  });
  // connect() rejects on the first refused connection, and never settles for a Cluster whose
  // slots are not assigned yet (its ready check fails and it reconnects quietly). ioredis goes
  // on reconnecting in both cases, so the start watches its status instead of that promise.
  client.connect().catch(() => {});
  const ready = new Promise<boolean>((resolve) => client.once("ready", () => resolve(true)));
  const notReady = async () => {
    // Each attempt gives it a moment, so that a Redis that is up costs the start no poll delay.
    if (client.status === "ready" || (await Promise.race([ready, sleep(250, false)]))) {
      if (client instanceof Cluster) await everyMasterOk(client);
      return;
    }
    if (clusterNodes) throw new Error(await clusterState(clusterNodes, auth));
    throw new Error(lastError?.message ?? `no answer yet (${client.status})`);
  };
  try {
    await waitUntilReady(clusterNodes ? "Redis Cluster" : "Redis", notReady, wait);
    await checkEvictionPolicy(client, options.evictionCheck ?? "warn", log);
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return client;
}

/**
 * Resolves when every master the client knows says cluster_state:ok. ioredis is ready as soon as
 * CLUSTER SLOTS lists the slots, but a master that still sees a slot uncovered answers keyed
 * commands with CLUSTERDOWN, as each does for its first two seconds after it starts or rejoins
 * (CLUSTER_WRITABLE_DELAY in Redis's cluster code) and while a master is failing; commands in
 * an auto-pipeline are not retried on it.
 * @throws Error naming the first master that does not say ok (or cannot be asked)
 */
async function everyMasterOk(cluster: Cluster): Promise<void> {
  for (const node of cluster.nodes("master")) {
    const name = `${node.options.host}:${node.options.port}`;
    const info = await node.cluster("INFO").catch((err: Error) => {
      throw new Error(`${name} does not answer CLUSTER INFO (${err.message})`);
    });
    const state = clusterInfoField(info, "cluster_state");
    if (state !== "ok") throw new Error(`${name} says cluster_state:${state}`);
  }
}

/** One field of CLUSTER INFO's reply (`name:value` lines), or undefined. */
function clusterInfoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(\\S+)`, "m").exec(info)?.[1];
}

/** Why a Redis Cluster is not usable yet, from CLUSTER INFO on the first seed node that answers. */
async function clusterState(clusterNodes: string, auth: RedisOptions): Promise<string> {
  let unreachable = "no seed node answers";
  for (const { host, port } of seedNodes(clusterNodes)) {
    const probe = new Redis({
      ...auth,
      host,
      port,
      lazyConnect: true,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: () => null,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      const info = await probe.cluster("INFO");
      const field = (name: string) => clusterInfoField(info, name);
      const assigned = Number(field("cluster_slots_assigned"));
      // 16384 hash slots in every Redis Cluster (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/).
      if (assigned < 16384) return `slots not assigned (${assigned} of 16384)`;
      return field("cluster_state") === "ok" ? "cluster forming, connecting to its nodes" : `cluster_state:${field("cluster_state")}`;
    } catch (err) {
      unreachable = `no seed node answers (${(err as Error).message})`;
    } finally {
      probe.disconnect();
    }
  }
  return unreachable;
}

function seedNodes(clusterNodes: string): { host: string; port: number }[] {
  return clusterNodes.split(",").map((hp) => {
    const [host, port] = hp.trim().split(":");
    return { host: host as string, port: Number(port) };
  });
}

function createCluster(clusterNodes: string, auth: RedisOptions): Cluster {
  return new Cluster(seedNodes(clusterNodes), {
    lazyConnect: true,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    redisOptions: { ...COMMON, ...auth, lazyConnect: undefined },
    clusterRetryStrategy: (times) => Math.min(50 * times, 500),
  });
}

/** ./lua/compareAndDelete.lua (its header says what it reads, writes and returns), read once. */
const COMPARE_AND_DELETE = readFileSync(new URL("./lua/compareAndDelete.lua", import.meta.url), "utf8");
type Scripted = RedisClient & { txCompareAndDelete(key: string, value: string): Promise<number> };

/**
 * Defines the service's own scripts on a client (txCompareAndDelete). Done once, when the
 * client is made (connectRedis): with auto-pipelining on, a command defined while other
 * commands wait in an auto-pipeline is missing from that pipeline, and ioredis then fails the
 * call and throws an uncaught "results[i] is not iterable" when the pipeline answers
 * (https://github.com/redis/ioredis/issues/1931).
 */
export function defineScripts(redis: RedisClient): void {
  // defineCommand is per client and idempotent per name; EVALSHA with an EVAL fallback.
  if (!("txCompareAndDelete" in redis)) redis.defineCommand("txCompareAndDelete", { lua: COMPARE_AND_DELETE, numberOfKeys: 1 });
}

/**
 * Deletes `key` only while it holds `value`, in one Lua script: the release of a lock by its
 * owner (a GET then a DEL could delete a lock that expired in between and was taken by another
 * owner; the single-instance lock of https://redis.io/docs/latest/develop/use/patterns/distributed-locks/),
 * or the drop of a cached value only while it is still the one that failed. On a client
 * defineScripts has not seen, the script goes as a plain EVAL (never defined mid-traffic).
 * @returns 1 when it was deleted, 0 when the key held something else or nothing
 * @throws whatever ioredis throws when Redis cannot be asked
 */
export function compareAndDelete(redis: RedisClient, key: string, value: string): Promise<number> {
  if ("txCompareAndDelete" in redis) return (redis as Scripted).txCompareAndDelete(key, value);
  return redis.eval(COMPARE_AND_DELETE, 1, key, value) as Promise<number>;
}
