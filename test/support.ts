/**
 * Test support: starts a real tongxing (the same startServer as `npm start`) against real
 * Redis and real PostgreSQL, each suite with a fresh database and its own Redis key prefix,
 * and the project's fake WeChat as the only stand-in. Log lines are captured so that tests can
 * check that no secret reaches them. startStack runs the app inside the test's own process, quick
 * to start and with its internals at hand; a test of the process itself (its start or refusal,
 * exit code, a signal or a kill, stdout, environment) starts a real one with test/process.ts.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { redisAuthOptions } from "../src/clients/redis.js";
import { loadConfig } from "../src/config/config.js";
import { dropDatabase } from "../src/db/database.js";
import { createLogger } from "../src/log.js";
import { type Running, startServer } from "../src/server.js";
import { FakeWechat, type FakeWechatOptions } from "../src/wechat/fakeServer.js";
import { decodeRecord, slotOf } from "../verifier/src/record.js";

export const PG_BASE = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const MYSQL_BASE = process.env.TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/mysql";
/** TEST_DATABASE=mysql: stacks get a MySQL/MariaDB database (`npm test` runs the database suites twice). */
export const TEST_DATABASE: "postgresql" | "mysql" = process.env.TEST_DATABASE === "mysql" ? "mysql" : "postgresql";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const APPID = "wxtest0123456789ab";
export const SECRET = "test-app-secret-0123456789abcdef";

/** Deletes every key under `prefix` in the test Redis (what a suite leaves behind). */
export async function clearRedisPrefix(prefix: string, url = REDIS_URL, tlsCa?: Buffer): Promise<void> {
  // One try: a Redis that is gone (a private one already destroyed) must not hang a cleanup.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, ...redisAuthOptions(url, tlsCa) });
  redis.on("error", () => {});
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** A fresh, not yet existing database URL on the test server (TEST_DATABASE's kind by default). */
export function freshDatabaseUrl(kind = TEST_DATABASE): string {
  const url = new URL(kind === "mysql" ? MYSQL_BASE : PG_BASE);
  url.pathname = `/tongxing_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  return url.toString();
}

/** A JSON HTTP response as a test sees it. */
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/** A running stack: tongxing + fake WeChat + direct Redis access, and a way to tear it down. */
export interface Stack {
  url: string;
  running: Running;
  fake: FakeWechat;
  /** A direct client (cluster-aware when the stack runs on a cluster) for inspecting keys. */
  redis: Redis | Cluster;
  prefix: string;
  /** The configuration environment the server got (the CLI is run with the same). */
  env: Record<string, string>;
  databaseUrl: string;
  logs: string[];
  /** Sends a request; JSON bodies are encoded, responses parsed when they are JSON. */
  request<T = any>(
    method: string,
    path: string,
    opts?: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> },
  ): Promise<Res<T>>;
  /** Logs in with a fresh code of `user` (fake WeChat: part before # names the user). */
  login(user: string, body?: Record<string, unknown>): Promise<Res>;
  /**
   * Starts another instance of the server sharing this one's Redis, database and WeChat; `env`
   * overrides its configuration (a restart with a rotated key, say).
   */
  startSibling(env?: Record<string, string>): Promise<Running>;
  stop(): Promise<void>;
}

let codeCounter = 0;
/** A new wx.login code for `user`, as the mini-program would get from each wx.login call. */
export const codeFor = (user: string) => `${user}#${process.pid}-${++codeCounter}-${randomBytes(3).toString("hex")}`;

/**
 * Starts a stack. `env` overrides configuration variables (e.g. SESSION_IDLE_TTL).
 */
export async function startStack(
  /** Or a function of the fake WeChat, for settings that name its address (WECHAT_OPEN_BASE). */
  envOrFn: Record<string, string> | ((fake: FakeWechat) => Record<string, string>) = {},
  fakeOptions: Partial<Pick<FakeWechatOptions, "unionid" | "tokenDelayMs" | "apiDelayMs" | "appid" | "moreApps">> = {},
): Promise<Stack> {
  const appid = fakeOptions.appid ?? APPID;
  const fake = await new FakeWechat({ appid, secret: SECRET, ...fakeOptions }).start();
  const env = typeof envOrFn === "function" ? envOrFn(fake) : envOrFn;
  // A test may bring its own database and prefix (an upgrade test fills them first); they are
  // dropped and cleared on stop all the same.
  const prefix = env.REDIS_KEY_PREFIX ?? `t${randomBytes(4).toString("hex")}:`;
  const databaseUrl = env.DATABASE_URL ?? freshDatabaseUrl();
  const fullEnv: Record<string, string> = {
    NODE_ENV: "test",
    PORT: "0",
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    WECHAT_APPID: appid,
    WECHAT_SECRET: SECRET,
    WECHAT_API_BASE: fake.baseUrl,
    WECHAT_TIMEOUT: "1000",
    SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: "debug",
    // Suites log in (and call WeChat) hundreds of times from 127.0.0.1; the rate-limit suites set their own.
    LOGIN_RATE_LIMIT: "1000000",
    WECHAT_CALL_RATE_LIMIT: "1000000",
    ...env,
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(fullEnv);
  } catch (err) {
    // Or the fake's listener keeps the test process alive after the failure.
    await fake.stop();
    throw err;
  }
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const log = createLogger(config.logLevel, sink);
  const running = await startServer(config, log);
  const siblings: Running[] = [];
  const redis = config.redisClusterNodes
    ? clusterClient(config.redisClusterNodes, redisAuthOptions(config.redisUrl, config.redisTlsCa))
    : new Redis(config.redisUrl, redisAuthOptions(config.redisUrl, config.redisTlsCa));

  async function request(
    method: string,
    path: string,
    opts: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers["X-WX-Token"] = opts.token;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(running.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed as any, headers: res.headers, text };
  }

  return {
    url: running.url,
    running,
    fake,
    redis,
    prefix,
    env: fullEnv,
    databaseUrl,
    logs,
    request,
    login: (user, body = {}) => request("POST", "/auth/login", { body: { code: codeFor(user), ...body } }),
    async startSibling(env) {
      const sibling = await startServer(env ? loadConfig({ ...fullEnv, ...env }) : config, log);
      siblings.push(sibling);
      return sibling;
    },
    async stop() {
      for (const s of siblings) await s.stop(2000);
      await running.stop(2000);
      await fake.stop();
      redis.disconnect();
      // A private Redis's ACL user may not list keys (redisHardening.test.ts); it is thrown away whole.
      if (!config.redisClusterNodes) await clearRedisPrefix(prefix, config.redisUrl, config.redisTlsCa).catch(() => {});
      await dropDatabase(databaseUrl);
    },
  };
}

function clusterClient(nodes: string, auth: RedisOptions): Cluster {
  const seeds = nodes.split(",").map((hp) => ({ host: hp.split(":")[0], port: Number(hp.split(":")[1]) }));
  return new Cluster(seeds, { redisOptions: auth });
}

/**
 * Reads a user's hash as HGETALL gave it: the sids stored (the session fields the list is read
 * from) and those whose record decodes and is unexpired now.
 */
export function storedSessions(userId: number, fields: Record<string, string>): { index: string[]; live: string[] } {
  const index = Object.keys(fields)
    .filter((f) => f.length === 22)
    .sort();
  const now = Date.now();
  const live = index.filter((sid) => {
    const r = decodeRecord(userId, sid, fields[sid] as string, {
      appid: "",
      openid: fields[`o${slotOf(fields[sid] as string) ?? ""}`] ?? null,
      unionid: null,
    });
    return r !== null && r.expiresAt > now;
  });
  return { index, live };
}

/** storedSessions of a user of the stack, to check that every write leaves no dead session behind. */
export async function indexAndSessions(stack: Stack, userId: number): Promise<{ index: string[]; live: string[] }> {
  return storedSessions(userId, await stack.redis.hgetall(`${stack.prefix}{u${userId}}`));
}

/** Every Redis key, field and value under the stack's prefix, for leak checks (single Redis). */
export async function dumpRedis(stack: Stack): Promise<string> {
  if (!(stack.redis instanceof Redis)) throw new Error("dumpRedis needs a single Redis");
  const keys = await stack.redis.keys(`${stack.prefix}*`);
  const parts: string[] = [];
  for (const key of keys) {
    const type = await stack.redis.type(key);
    parts.push(key);
    if (type === "string") parts.push((await stack.redis.get(key)) ?? "");
    if (type === "zset") parts.push(...(await stack.redis.zrange(key, 0, -1)));
    if (type === "hash") parts.push(...Object.entries(await stack.redis.hgetall(key)).flat());
  }
  return parts.join("\n");
}
