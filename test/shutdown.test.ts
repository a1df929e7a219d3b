/**
 * Graceful shutdown of a real server process under load: SIGTERM while logins are in flight
 * (held by the fake WeChat) and a stream of authenticated requests runs. Every request the
 * server had accepted completes with 200, nothing gets a 5xx, and the process exits 0.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { dropDatabase } from "../src/db/database.js";
import { FakeWechat } from "../src/wechat/fakeServer.js";
import { productionEnv, type ServerProcess, startProcess } from "./process.js";
import { APPID, clearRedisPrefix, codeFor, freshDatabaseUrl, SECRET } from "./support.js";

const databaseUrl = freshDatabaseUrl();
const prefix = `tsd${randomBytes(3).toString("hex")}:`;
let fake: FakeWechat | undefined;
let server: ServerProcess | undefined;
after(async () => {
  server?.child.kill("SIGKILL");
  await fake?.stop();
  await dropDatabase(databaseUrl);
  await clearRedisPrefix(prefix);
});

test("SIGTERM mid-stream: accepted requests finish, exit code 0", async () => {
  fake = await new FakeWechat({ appid: APPID, secret: SECRET, loginDelayMs: 700 }).start();
  server = await startProcess(productionEnv(fake.baseUrl, databaseUrl, prefix, { SHUTDOWN_TIMEOUT: "5", SHUTDOWN_DELAY: "0" }));
  const { url } = server;
  const login = () =>
    fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: codeFor("sd") }),
    });
  const first = await login();
  assert.equal(first.status, 200);
  const { token } = (await first.json()) as { token: string };

  let signalledAt = Number.POSITIVE_INFINITY;
  let stop = false;
  const stream: { started: number; status: number | "connection error" }[] = [];
  const worker = async () => {
    while (!stop) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}/auth/session`, { headers: { "x-wx-token": token } });
        await res.arrayBuffer();
        stream.push({ started, status: res.status });
      } catch {
        stream.push({ started, status: "connection error" });
        if (started > signalledAt) return;
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  await new Promise((r) => setTimeout(r, 300));
  const calls = fake.callCount("/sns/jscode2session");
  const held = Array.from({ length: 8 }, login);
  while (fake.callCount("/sns/jscode2session") < calls + 8) await new Promise((r) => setTimeout(r, 10));

  server.child.kill("SIGTERM");
  signalledAt = performance.now();
  const heldStatuses = await Promise.all(
    held.map((p) =>
      p.then(
        (r) => r.status,
        () => "connection error",
      ),
    ),
  );
  const code = await server.exited;
  stop = true;
  await Promise.all(workers);

  assert.deepEqual(heldStatuses, Array(8).fill(200), "logins in flight at SIGTERM complete");
  assert.equal(code, 0, server.output());
  const before = stream.filter((r) => r.started < signalledAt - 50);
  assert.ok(before.length > 20, `a real stream ran (${before.length} requests)`);
  assert.ok(
    before.every((r) => r.status === 200),
    "requests before the signal all succeeded",
  );
  assert.ok(
    stream.every((r) => r.status === 200 || r.status === "connection error"),
    `no HTTP error during the drain: ${JSON.stringify(stream.filter((r) => r.status !== 200 && r.status !== "connection error").slice(0, 3))}`,
  );
  assert.match(server.output(), /shutting down/);
});

test("SHUTDOWN_DELAY: /readyz turns 503 first while everything is served; a balancer-like client sees no failure", async () => {
  const balancerDb = freshDatabaseUrl();
  const balancerPrefix = `tsb${randomBytes(3).toString("hex")}:`;
  const wechat = await new FakeWechat({ appid: APPID, secret: SECRET }).start();
  const proc = await startProcess(productionEnv(wechat.baseUrl, balancerDb, balancerPrefix, { SHUTDOWN_DELAY: "1.5" }));
  try {
    const { url } = proc;
    const login = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: codeFor("lb") }),
    });
    const { token } = (await login.json()) as { token: string };

    // The balancer: polls /readyz every 100 ms and stops routing 200 ms after the first non-200.
    let routing = true;
    let notReadyAt = 0;
    const balancer = (async () => {
      while (routing) {
        const ready = await fetch(`${url}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
        if (ready !== 200 && !notReadyAt) {
          notReadyAt = performance.now();
          setTimeout(() => {
            routing = false;
          }, 200);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const failures: string[] = [];
    let served = 0;
    // `Connection: close` from the signal on, so that kept-alive clients move to another instance.
    const closing: { started: number; close: boolean }[] = [];
    const worker = async () => {
      while (routing) {
        try {
          const started = performance.now();
          const res = await fetch(`${url}/auth/session`, { headers: { "x-wx-token": token } });
          await res.arrayBuffer();
          closing.push({ started, close: res.headers.get("connection") === "close" });
          if (res.status === 200) served++;
          else failures.push(`HTTP ${res.status}`);
        } catch (err) {
          failures.push(String((err as Error).cause ?? err));
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    const signalledAt = performance.now();
    proc.child.kill("SIGTERM");
    await Promise.all([balancer, ...workers]);
    const code = await proc.exited;
    assert.deepEqual(failures, [], "no request failed or was refused");
    assert.ok(served > 20, `a real stream ran (${served} requests)`);
    assert.ok(notReadyAt - signalledAt < 1000, "/readyz turned 503 right after the signal");
    assert.ok(!closing.some((r) => r.close && r.started < signalledAt), "no Connection: close before the signal");
    assert.ok(
      closing.some((r) => r.close && r.started > signalledAt),
      "answers during the delay say Connection: close",
    );
    assert.equal(code, 0, proc.output());
  } finally {
    proc.child.kill("SIGKILL");
    await wechat.stop();
    await dropDatabase(balancerDb);
    await clearRedisPrefix(balancerPrefix);
  }
});
