/**
 * Redis or PostgreSQL unreachable: 503 SERVICE_UNAVAILABLE quickly, never a 200 for a token
 * that could not be checked, and recovery without a restart.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CuttableProxy } from "./proxy.js";
import { freshDatabaseUrl, type Stack, startStack } from "./support.js";

let stack: Stack;
let redisProxy: CuttableProxy;
let pgProxy: CuttableProxy;
before(async () => {
  redisProxy = await new CuttableProxy(6379).start();
  pgProxy = await new CuttableProxy(5432).start();
  const db = new URL(freshDatabaseUrl());
  db.port = String(pgProxy.port);
  stack = await startStack({ REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, DATABASE_URL: db.toString() });
});
after(async () => {
  redisProxy.restore();
  pgProxy.restore();
  await stack.stop();
  await redisProxy.stop();
  await pgProxy.stop();
});

async function until(check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms`);
}

test("Redis down: authenticated requests and logins get 503 fast, then recover", async () => {
  const { body } = await stack.login("quinn");
  redisProxy.cut();
  const started = Date.now();
  const res = await stack.request("GET", "/auth/session", { token: body.token });
  assert.equal(res.status, 503, res.text);
  assert.equal(res.body.error.code, "SERVICE_UNAVAILABLE");
  assert.ok(Date.now() - started < 1500, "fails fast instead of hanging");
  const login = await stack.login("quinn");
  assert.equal(login.status, 503);
  const ready = await stack.request("GET", "/readyz");
  assert.equal(ready.status, 503);
  assert.equal(ready.body.checks.redis, "down");
  redisProxy.restore();
  await until(async () => (await stack.request("GET", "/auth/session", { token: body.token })).status === 200, 3000);
  assert.equal((await stack.login("quinn")).status, 200);
});

test("PostgreSQL down: logins get 503, session-only routes keep answering", async () => {
  const { body } = await stack.login("rita");
  pgProxy.cut();
  const login = await stack.login("rita");
  assert.equal(login.status, 503, login.text);
  assert.equal(login.body.error.code, "SERVICE_UNAVAILABLE");
  assert.equal((await stack.request("GET", "/me", { token: body.token })).status, 503);
  assert.equal((await stack.request("GET", "/auth/session", { token: body.token })).status, 200);
  assert.equal((await stack.request("GET", "/readyz")).body.checks.postgres, "down");
  pgProxy.restore();
  await until(async () => (await stack.login("rita")).status === 200, 5000);
  assert.equal((await stack.request("GET", "/me", { token: body.token })).status, 200);
  assert.ok(!stack.logs.join("").includes(body.token), "no token in the logs of the failures");
});
