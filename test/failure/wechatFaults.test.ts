/**
 * Scenario 3: WeChat faults. Each maps to 502 WECHAT_UNAVAILABLE within WECHAT_TIMEOUT times
 * the attempts plus the backoff (a timeout: one attempt, since the code is spent), and a failed
 * login creates no user and no session.
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

test("a timed-out code2Session is not retried with the spent code: 502 within WECHAT_TIMEOUT plus a little", async () => {
  const code = codeFor("fault-timeout");
  tx.fake.script(code, "timeout", "timeout", "timeout");
  const calls = tx.fake.calls.get("/sns/jscode2session") ?? 0;
  const res = await login(code);
  assert.equal(res.status, 502);
  assert.equal(res.body.error?.code, "WECHAT_UNAVAILABLE", "WeChat failed, not the client's code");
  assert.equal((tx.fake.calls.get("/sns/jscode2session") ?? 0) - calls, 1, "one attempt: a retry would get 40163");
  assert.ok(res.ms < TIMEOUT_MS + 500, `${res.ms.toFixed(0)} ms`);
});

test("HTTP 500, invalid JSON, an HTML error page and errcode -1 → retried, then 502 in bounded time, nothing created", {
  timeout: 60_000,
}, async (t) => {
  const faults: [string, FakeAnswer][] = [
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
    const calls = tx.fake.calls.get("/sns/jscode2session") ?? 0;
    const res = await login(code);
    assert.equal(res.status, 502, name);
    assert.equal((tx.fake.calls.get("/sns/jscode2session") ?? 0) - calls, 3, `${name}: 3 attempts`);
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
