/**
 * Shared parts of the failure suites: a real tongxing process with the fake WeChat, a bounded
 * load generator, and the "nothing lost" checks against PostgreSQL and Redis.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { FakeWechat, type FakeWechatOptions } from "../../src/wechat/fakeServer.js";
import { productionEnv, type ServerProcess, startProcess } from "../process.js";
import { APPID, clearRedisPrefix, codeFor, SECRET, storedSessions } from "../support.js";

export interface Tongxing {
  proc: ServerProcess;
  url: string;
  fake: FakeWechat;
  prefix: string;
  databaseUrl: string;
  redisUrl: string;
  login(user: string): Promise<{ status: number; token?: string; userId?: number; ms: number }>;
  /** Asserts the process is alive and printed no unhandled rejection or uncaught exception. */
  healthyOutput(): void;
  stop(): Promise<void>;
}

export async function startTongxing(opts: {
  databaseUrl: string;
  redisUrl: string;
  env?: Record<string, string>;
  fake?: Partial<FakeWechatOptions>;
}): Promise<Tongxing> {
  const fake = await new FakeWechat({ appid: APPID, secret: SECRET, ...opts.fake }).start();
  const prefix = `tf${randomBytes(3).toString("hex")}:`;
  const proc = await startProcess(productionEnv(fake.baseUrl, opts.databaseUrl, prefix, { REDIS_URL: opts.redisUrl, ...opts.env }));
  const url = proc.url;
  return {
    proc,
    url,
    fake,
    prefix,
    databaseUrl: opts.databaseUrl,
    redisUrl: opts.redisUrl,
    async login(user) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code: codeFor(user) }),
        });
        const body = (await res.json()) as { token?: string; user?: { id: number } };
        return { status: res.status, token: body.token, userId: body.user?.id, ms: performance.now() - started };
      } catch {
        return { status: 0, ms: performance.now() - started };
      }
    },
    healthyOutput() {
      if (proc.child.exitCode !== null) throw new Error(`tongxing exited:\n${proc.output()}`);
      if (/unhandled|uncaught/i.test(proc.output())) throw new Error(`unhandled error in the log:\n${proc.output()}`);
    },
    async stop() {
      proc.child.kill("SIGTERM");
      await proc.exited;
      await fake.stop();
      // Leave nothing behind in the shared Redis (a private one is destroyed with its folder).
      await clearRedisPrefix(prefix, opts.redisUrl).catch(() => {});
    },
  };
}

export interface Sample {
  /** ms since the load started. */
  at: number;
  status: number;
  ms: number;
}

/**
 * Sends GET `path` with one of `tokens` from `workers` loops until stopped; bounded by `maxMs`.
 */
export function load(url: string, path: string, tokens: string[], workers = 4, maxMs = 20_000) {
  const t0 = performance.now();
  const samples: Sample[] = [];
  let stopped = false;
  const loop = async (w: number) => {
    let i = w;
    while (!stopped && performance.now() - t0 < maxMs) {
      const started = performance.now();
      let status = 0;
      try {
        const res = await fetch(url + path, {
          headers: { "x-wx-token": tokens[i++ % tokens.length] as string },
          signal: AbortSignal.timeout(5000),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {}
      samples.push({ at: started - t0, status, ms: performance.now() - started });
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  return {
    samples,
    now: () => performance.now() - t0,
    async stop() {
      stopped = true;
      await done;
      return samples;
    },
  };
}

/**
 * Nothing lost: every user hash in Redis belongs to a user row, every session in it decodes
 * and is unexpired (the runs are far shorter than any timeout, so a dead one would be a write
 * that lost track of it), and no user row exists but the expected ones.
 */
export async function assertConsistent(t: Tongxing, expectedOpenids: string[] | null): Promise<void> {
  const db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
  // One identity per user here (one app): a user without one, or with two, shows as a mismatch.
  const rows = (await db.query("SELECT u.id, i.openid FROM users u LEFT JOIN identities i ON i.user_id = u.id ORDER BY u.id")).rows as {
    id: number;
    openid: string;
  }[];
  await db.end();
  const openids = rows.map((r) => r.openid).sort();
  if (expectedOpenids && JSON.stringify(openids) !== JSON.stringify([...expectedOpenids].sort())) {
    throw new Error(`users table: expected ${expectedOpenids.length} users, found ${rows.length}`);
  }
  const redis = new Redis(t.redisUrl);
  try {
    const userKeys = (await redis.keys(`${t.prefix}{u*}`)).filter((k) => /\{u\d+\}$/.test(k));
    const ids = new Set(rows.map((r) => r.id));
    for (const key of userKeys) {
      const userId = Number(/\{u(\d+)\}$/.exec(key)?.[1]);
      if (!ids.has(userId)) throw new Error(`sessions ${key} of a user who does not exist`);
      const { index, live } = storedSessions(userId, await redis.hgetall(key));
      if (index.length !== live.length) throw new Error(`user ${userId}: ${index.length - live.length} dead or undecodable sessions left`);
    }
  } finally {
    redis.disconnect();
  }
}

/** GET /auth/session with `token`: the status, or 0 when no answer came within 3 s. */
export async function checkSession(url: string, token: string): Promise<number> {
  try {
    return (await fetch(`${url}/auth/session`, { headers: { "x-wx-token": token }, signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

/** The instance's `tongxing_session_cache_total{result}` (hit, miss, bypass), read from /metrics. */
export async function sessionCacheCount(url: string, result: string, metricsToken = "metrics-token-for-tests"): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith(`tongxing_session_cache_total{result="${result}"}`));
  return line ? Number(line.split(" ")[1]) : 0;
}
