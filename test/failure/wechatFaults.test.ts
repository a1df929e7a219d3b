/**
 * Scenario 3: WeChat faults. Each maps to 502 WECHAT_UNAVAILABLE within WECHAT_TIMEOUT times
 * the attempts plus the backoff, and a failed login creates no user and no session.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { dropDatabase } from "../../src/db/database.js";
import type { FakeAnswer } from "../../src/wechat/fakeServer.js";
import { CuttableProxy } from "../proxy.js";
import { codeFor, freshDatabaseUrl, REDIS_URL } from "../support.js";
import { assertConsistent, startTongxing, type Tongxing } from "./harness.js";

const TIMEOUT_MS = 400;
// 3 attempts of at most TIMEOUT_MS, backoff of at most 100 + 200 ms, and slack for the machine.
const BOUND_MS = 3 * TIMEOUT_MS + 300 + 700;
const databaseUrl = freshDatabaseUrl();
let tx: Tongxing;
before(async () => {
  tx = await startTongxing({ databaseUrl, redisUrl: REDIS_URL, env: { WECHAT_TIMEOUT: String(TIMEOUT_MS) } });
});
after(async () => {
  await tx.stop();
  await dropDatabase(databaseUrl);
});

async function login(code: string) {
  const started = performance.now();
  const res = await fetch(`${tx.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string } }, ms: performance.now() - started };
}

test("timeouts, HTTP 500, invalid JSON and an HTML error page → 502 in bounded time, nothing created", { timeout: 60_000 }, async (t) => {
  const faults: [string, FakeAnswer][] = [
    ["timeout", "timeout"],
    ["http500", { status: 500 }],
    ["badjson", "badjson"],
    ["html", "html"],
    ["busy", { errcode: -1 }],
  ];
  const ok = codeFor("fine");
  assert.equal((await login(ok)).status, 200);
  const lines = [];
  for (const [name, fault] of faults) {
    const code = codeFor(`fault-${name}`);
    tx.fake.script(code, fault, fault, fault);
    const res = await login(code);
    assert.equal(res.status, 502, name);
    assert.equal(res.body.error?.code, "WECHAT_UNAVAILABLE");
    assert.ok(res.ms < BOUND_MS, `${name}: ${res.ms.toFixed(0)} ms`);
    lines.push(`${name} ${res.ms.toFixed(0)} ms`);
  }
  tx.healthyOutput();
  t.diagnostic(`502 after 3 attempts: ${lines.join(", ")} (bound ${BOUND_MS} ms)`);
  await assertConsistent(tx, [tx.fake.openidFor(ok)]);
});

test("connection refused → 502", async () => {
  const proxy = await new CuttableProxy(Number(new URL(tx.fake.baseUrl).port)).start();
  const second = await startTongxing({ databaseUrl, redisUrl: REDIS_URL, env: { WECHAT_API_BASE: `http://127.0.0.1:${proxy.port}` } });
  try {
    proxy.cut();
    const started = performance.now();
    const res = await fetch(`${second.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"code":"refused#1"}',
    });
    assert.equal(res.status, 502);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "WECHAT_UNAVAILABLE");
    assert.ok(performance.now() - started < BOUND_MS);
    proxy.restore();
    const back = await fetch(`${second.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"code":"refused#2"}',
    });
    assert.equal(back.status, 200, "works again once WeChat is reachable");
    second.healthyOutput();
  } finally {
    await second.stop();
    await proxy.stop();
  }
});
