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
  server = await startProcess(productionEnv(fake.baseUrl, databaseUrl, prefix, { SHUTDOWN_TIMEOUT: "5" }));
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
