/**
 * tongxing killed (SIGKILL, no shutdown) with events not yet delivered: the outbox is in the
 * database, so the next process sends them. Once with the receiver down at the kill (attempts
 * failed, retries due later), once with an attempt in flight (the receiver never answered): that
 * one is sent again when its lease ends, with the same webhook-id. And a graceful stop (SIGTERM)
 * waits for an attempt in flight and records its outcome.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { startupWait } from "../src/clients/readiness.js";
import { dropDatabase } from "../src/db/database.js";
import { migrateDatabase } from "../src/db/migrate.js";
import { createLogger } from "../src/log.js";
import { FakeWechat } from "../src/wechat/fakeServer.js";
import { productionEnv, type ServerProcess, startProcess } from "./process.js";
import { connectSql, type SqlClient } from "./sql.js";
import { APPID, clearRedisPrefix, codeFor, freshDatabaseUrl, SECRET } from "./support.js";
import { TestReceiver } from "./webhookReceiver.js";

const cleanups: (() => Promise<unknown>)[] = [];
let env: Record<string, string>;
let receiver: TestReceiver;
let db: SqlClient;

before(async () => {
  const fake = await new FakeWechat({ appid: APPID, secret: SECRET }).start();
  cleanups.push(() => fake.stop());
  const databaseUrl = freshDatabaseUrl();
  cleanups.push(() => dropDatabase(databaseUrl));
  const prefix = `twh${randomBytes(3).toString("hex")}:`;
  cleanups.push(() => clearRedisPrefix(prefix));
  receiver = await new TestReceiver().up();
  cleanups.push(() => receiver.down());
  env = productionEnv(fake.baseUrl, databaseUrl, prefix, {
    WEBHOOKS: JSON.stringify([{ url: receiver.url, secret: receiver.secret, events: ["user.created"] }]),
    WEBHOOK_RETRY_SCHEDULE: "1",
    WEBHOOK_TIMEOUT: "1",
  });
  const log = createLogger("silent");
  await migrateDatabase(databaseUrl, 30, log, startupWait(log, 30));
  db = await connectSql(databaseUrl);
  cleanups.push(() => db.end());
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** Starts tongxing as a process; killed (SIGKILL) at the end of the suite if still running. */
async function start(): Promise<ServerProcess> {
  const server = await startProcess(env);
  cleanups.push(async () => server.child.kill("SIGKILL"));
  return server;
}

async function newUser(server: ServerProcess, person: string): Promise<number> {
  const res = await fetch(`${server.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: codeFor(person) }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { user: { id: number } }).user.id;
}

async function kill(server: ServerProcess): Promise<void> {
  server.child.kill("SIGKILL");
  await server.exited;
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("killed while the receiver was down: the next process sends every pending event", async () => {
  await receiver.down();
  const first = await start();
  const users = [await newUser(first, "k-ann"), await newUser(first, "k-bob"), await newUser(first, "k-cat")];
  await until(async () => {
    const { rows } = await db.query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE last_error = 'ECONNREFUSED'");
    return Number(rows[0].n) === 3;
  }, "three refused attempts");
  await kill(first);
  await receiver.up();
  const second = await start();
  for (const userId of users) await receiver.event("user.created", userId, 15_000);
  assert.equal(receiver.events.length, 3);
  // Recorded as delivered before this process goes too (or the next test would get them again).
  await until(async () => {
    const { rows } = await db.query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'");
    return Number(rows[0].n) === 3;
  }, "three delivered rows");
  await kill(second);
});

test("killed with an attempt in flight: sent again once its lease ends, with the same webhook-id", async () => {
  receiver.behaviour = "hang";
  const first = await start();
  const earlier = receiver.arrivals.length;
  const userId = await newUser(first, "k-dan");
  const id = await receiver.until("the attempt in flight", () => receiver.arrivals[earlier]?.id);
  await kill(first);
  receiver.behaviour = "ok";
  const second = await start();
  // The lease: twice WEBHOOK_TIMEOUT and 5 s.
  const event = await receiver.event("user.created", userId, 20_000);
  assert.equal(event.id, id);
  assert.equal(receiver.arrivals.filter((a) => a.id === id).length, 2, "one attempt before the kill, one after");
  await until(async () => {
    const { rows } = await db.query("SELECT status FROM webhook_deliveries WHERE event_id = $1", [id]);
    return rows[0]?.status === "delivered";
  }, "the row delivered");
  await kill(second);
});

test("SIGTERM with an attempt in flight: the stop waits for its answer and records it delivered", async () => {
  receiver.behaviour = "ok";
  receiver.delayMs = 600;
  try {
    const server = await start();
    const earlier = receiver.arrivals.length;
    const userId = await newUser(server, "k-eve");
    await receiver.until("the attempt in flight", () => receiver.arrivals[earlier]);
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0, server.output());
    const { rows } = await db.query("SELECT status, attempts FROM webhook_deliveries WHERE body LIKE $1", [`%"userId":${userId},%`]);
    assert.deepEqual(
      rows.map((r) => [r.status, Number(r.attempts)]),
      [["delivered", 1]],
    );
  } finally {
    receiver.delayMs = 0;
  }
});
