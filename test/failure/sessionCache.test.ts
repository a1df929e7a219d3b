/**
 * The process-local session cache (verifier/src/sessionCache.ts) against its failure modes, with
 * two real tongxing processes (A and B) on one private Redis: a logout, a revoke or a ban on A is
 * refused by B on the next request though B had the session cached; B's invalidation connection
 * killed → B stops serving from its cache at once; Redis SIGKILL → 503, never 200; Redis back → correct
 * answers, cache included, without restarting tongxing.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import { dropDatabase } from "../../src/db/database.js";
import { sidOf } from "../../verifier/src/token.js";
import { ADMIN_TOKEN } from "../lifecycleSuite.js";
import { productionEnv, type ServerProcess, startProcess } from "../process.js";
import { freshDatabaseUrl } from "../support.js";
import { redisServerTool } from "../tools.js";
import { checkSession, sessionCacheCount, startTongxing, type Tongxing } from "./harness.js";
import { PrivateRedis } from "./services.js";

const tool = redisServerTool;
const databaseUrl = freshDatabaseUrl();
const redis = new PrivateRedis();
let a: Tongxing | undefined;
let b: ServerProcess | undefined;
after(async () => {
  b?.child.kill("SIGKILL");
  await a?.stop();
  await redis.destroy();
  await dropDatabase(databaseUrl);
});

/** Polls B right after A answered: ms until B refused the token (the first poll included). */
async function refusedAfter(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const status = await checkSession(url, token);
    if (status === 401) return performance.now() - t0;
    assert.equal(status, 200, "only 200 (not yet told) or 401");
    if (performance.now() - t0 > 2000) throw new Error("B still let the token through 2 s after A revoked it");
  }
}

test("two instances, one Redis: the cache on B follows writes on A, and is off whenever it could miss one", {
  timeout: 120_000,
  skip: tool.skip,
}, async (t) => {
  assert.ok(tool.path, tool.missing);
  await redis.start();
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  const env = { ADMIN_TOKEN, METRICS_TOKEN: "metrics-token-for-tests", SESSION_CACHE_TTL: "60000" };
  a = await startTongxing({ databaseUrl, redisUrl, env });
  b = await startProcess(productionEnv(a.fake.baseUrl, databaseUrl, a.prefix, { REDIS_URL: redisUrl, ...env }));
  const bUrl = b.url;
  const cached = async (token: string) => {
    assert.equal(await checkSession(bUrl, token), 200);
    const hits = await sessionCacheCount(bUrl, "hit");
    assert.equal(await checkSession(bUrl, token), 200);
    assert.equal(await sessionCacheCount(bUrl, "hit"), hits + 1, "B answers from its cache");
  };
  const login = async (user: string) => (await a?.login(user))?.token as string;

  // 1. logout, revoke (admin), logout-others and ban on A → refused by B, which had them cached.
  const latencies: number[] = [];
  const s1 = await login("c-logout");
  await cached(s1);
  assert.equal((await fetch(`${a.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": s1 } })).status, 204);
  latencies.push(await refusedAfter(bUrl, s1));

  const s2 = await login("c-ban");
  await cached(s2);
  const userId = Number(s2.split(".")[0]);
  const ban = await fetch(`${a.url}/admin/users/${userId}/ban`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(ban.status, 200);
  latencies.push(await refusedAfter(bUrl, s2));

  const keep = await login("c-others");
  const other = await login("c-others");
  await cached(other);
  await fetch(`${a.url}/auth/logout-others`, { method: "POST", headers: { "x-wx-token": keep } });
  latencies.push(await refusedAfter(bUrl, other));
  assert.equal(await checkSession(bUrl, keep), 200, "the caller's own session lives on");
  t.diagnostic(`revocation seen on B after A answered: ${latencies.map((ms) => ms.toFixed(1)).join(", ")} ms`);
  assert.ok(Math.max(...latencies) < 1000, "within a generous bound");

  // 2. B's invalidation connection killed: B must not serve a session it can no longer hear about.
  const admin = new Redis(redisUrl);
  try {
    const s3 = await login("c-kill");
    await cached(s3);
    const list = (await admin.client("LIST")) as string;
    const line = list.split("\n").find((l) => l.includes(`name=tongxing-invalidate-${b?.child.pid}`));
    assert.ok(line, "B's invalidation connection is named after its pid");
    const id = /id=(\d+)/.exec(line)?.[1] as string;
    await admin.client("KILL", "ID", id);
    // A write B cannot hear of (the field deleted behind everyone's back).
    await admin.hdel(`${a.prefix}{u${s3.split(".")[0]}}`, sidOf(s3));
    assert.equal(await checkSession(bUrl, s3), 401, "not served from the cache once the invalidation connection is gone");
  } finally {
    admin.disconnect();
  }

  // The cache comes back by itself (a new invalidation connection).
  const s4 = await login("c-back");
  const deadline = Date.now() + 5000;
  let hitsBefore = await sessionCacheCount(bUrl, "hit");
  for (; Date.now() < deadline; hitsBefore = await sessionCacheCount(bUrl, "hit")) {
    await checkSession(bUrl, s4);
    await checkSession(bUrl, s4);
    if ((await sessionCacheCount(bUrl, "hit")) > hitsBefore) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(Date.now() < deadline, "B caches again once its invalidation connection is back");

  // 3. Redis SIGKILL: 503, never 200, for a session B had cached.
  await cached(s4);
  await redis.kill();
  for (let i = 0; i < 20; i++) assert.equal(await checkSession(bUrl, s4), 503, `request ${i} while Redis is down`);

  // 4. Redis back (the append-only file kept the sessions): right answers, cache included.
  await redis.start();
  const until = Date.now() + 10_000;
  while ((await checkSession(bUrl, s4)) !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await checkSession(bUrl, s4), 200, "B answers again without a restart");
  const s5 = await login("c-after");
  const ready = Date.now() + 5000;
  while (Date.now() < ready) {
    const hits = await sessionCacheCount(bUrl, "hit");
    await checkSession(bUrl, s5);
    await checkSession(bUrl, s5);
    if ((await sessionCacheCount(bUrl, "hit")) > hits) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await fetch(`${a.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": s5 } });
  await refusedAfter(bUrl, s5);
  assert.doesNotMatch(b.output(), /unhandled|uncaught/i);
});
