/**
 * Scenario 2: PostgreSQL stopped (immediate mode, as a crash) and started again, under a stream
 * of session-only requests and attempted logins.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { clearRedisPrefix, codeFor, REDIS_URL } from "../support.js";
import { postgresServerTool } from "../tools.js";
import { assertConsistent, load, startTongxing, type Tongxing } from "./harness.js";
import { PrivatePostgres } from "./services.js";

const tool = postgresServerTool();

const postgres = new PrivatePostgres();
let tx: Tongxing | undefined;
after(async () => {
  await tx?.stop();
  await postgres.destroy();
  if (tx) {
    await clearRedisPrefix(tx.prefix);
  }
});

test("PostgreSQL down: logins 503, session-only routes 200 throughout, logins back without restart", {
  timeout: 60_000,
  skip: tool.skip,
}, async (t) => {
  assert.ok(tool.path, tool.missing);
  await postgres.init();
  await postgres.start();
  tx = await startTongxing({ databaseUrl: postgres.url, redisUrl: REDIS_URL });
  const ok: string[] = [];
  const tokens: string[] = [];
  for (const u of ["p1", "p2", "p3"]) {
    const res = await tx.login(u);
    assert.equal(res.status, 200);
    ok.push(u);
    tokens.push(res.token as string);
  }
  const stream = load(tx.url, "/auth/session", tokens);
  await new Promise((r) => setTimeout(r, 500));
  const downAt = stream.now();
  await postgres.stop();

  const failedLogins = [];
  for (let i = 0; i < 5; i++) failedLogins.push(await tx.login(`down${i}`));
  const me = await fetch(`${tx.url}/me`, { headers: { "x-wx-token": tokens[0] as string } });
  assert.equal(me.status, 503, "a route that reads the database says so");
  assert.deepEqual(
    failedLogins.map((l) => l.status),
    Array(5).fill(503),
  );
  const slowest = Math.max(...failedLogins.map((l) => l.ms));
  assert.ok(slowest < 3000, `logins fail within the connection timeout (slowest ${slowest.toFixed(0)} ms)`);

  const upAt = stream.now();
  await postgres.start();
  let recoveredMs = Number.NaN;
  for (let i = 0; i < 100; i++) {
    const res = await tx.login("back");
    if (res.status === 200) {
      recoveredMs = stream.now() - upAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const samples = await stream.stop();
  assert.ok(recoveredMs < 5000, `logins work again after PostgreSQL returns (${recoveredMs} ms)`);
  const during = samples.filter((s) => s.at > downAt && s.at < upAt);
  assert.ok(during.length > 20, `a stream ran during the outage (${during.length})`);
  assert.ok(
    samples.every((s) => s.status === 200),
    "GET /auth/session never stopped answering 200",
  );
  tx.healthyOutput();
  t.diagnostic(
    `load: 4 workers, ${samples.length} GET /auth/session all 200 (${during.length} during the outage); 5 logins during the outage all 503, slowest ${slowest.toFixed(0)} ms; logins back ${recoveredMs.toFixed(0)} ms after PostgreSQL was up`,
  );
  // No half-created users: the logins that failed left no row and no session.
  await assertConsistent(
    tx,
    [...ok, "back"].map((u) => tx?.fake.openidFor(codeFor(u)) as string),
  );
});
