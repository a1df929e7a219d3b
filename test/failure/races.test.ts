/**
 * Scenario 4: races. Concurrent first logins of one new openid, and logout racing requests of
 * the same token.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { dropDatabase } from "../../src/db/database.js";
import { codeFor, freshDatabaseUrl, REDIS_URL, storedSessions } from "../support.js";
import { assertConsistent, startTongxing, type Tongxing } from "./harness.js";

const databaseUrl = freshDatabaseUrl();
let tx: Tongxing;
before(async () => {
  tx = await startTongxing({ databaseUrl, redisUrl: REDIS_URL, env: { SESSIONS_PER_USER_MAX: "60" } });
});
after(async () => {
  await tx.stop();
  await dropDatabase(databaseUrl);
});

const session = (token: string) => fetch(`${tx.url}/auth/session`, { headers: { "x-wx-token": token } }).then((r) => r.status);

test("50 concurrent first logins of one new openid → one user row and 50 working sessions", async (t) => {
  tx.fake.holdTogether(50);
  const results = await Promise.all(Array.from({ length: 50 }, () => tx.login("racer")));
  assert.deepEqual(
    results.map((r) => r.status),
    Array(50).fill(200),
  );
  assert.equal(new Set(results.map((r) => r.userId)).size, 1);
  const statuses = await Promise.all(results.map((r) => session(r.token as string)));
  assert.deepEqual(statuses, Array(50).fill(200));
  const redis = new Redis(REDIS_URL);
  const userId = results[0]?.userId as number;
  const { index, live } = storedSessions(userId, await redis.hgetall(`${tx.prefix}{u${userId}}`));
  assert.equal(index.length, 50);
  assert.equal(live.length, 50);
  redis.disconnect();
  await assertConsistent(tx, [tx.fake.openidFor("racer")]);
  t.diagnostic("50 concurrent first logins: 1 user row, 50 sessions, index = live");
});

test("logout racing requests of the same token: nothing succeeds after logout returns", async () => {
  const logins = await Promise.all(Array.from({ length: 5 }, (_, i) => tx.login(`lo${i}`)));
  const late: number[] = [];
  for (const { token } of logins) {
    let loggedOutAt = Number.POSITIVE_INFINITY;
    let stop = false;
    const hammer = async () => {
      while (!stop) {
        const started = performance.now();
        const status = await session(token as string);
        if (started > loggedOutAt && status === 200) late.push(status);
      }
    };
    const hammers = Array.from({ length: 4 }, hammer);
    await new Promise((r) => setTimeout(r, 50));
    const out = await fetch(`${tx.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": token as string } });
    loggedOutAt = performance.now();
    assert.equal(out.status, 204);
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(hammers);
  }
  assert.deepEqual(late, []);
  tx.healthyOutput();
  await assertConsistent(
    tx,
    ["racer", ...logins.map((_, i) => `lo${i}`)].map((u) => tx.fake.openidFor(codeFor(u))),
  );
});
