/**
 * Delivering events (src/events/worker.ts) to real HTTP receivers that fail: 500s then 200, a
 * receiver down then up, one that never answers, one never reachable until tongxing gives up;
 * two instances sharing the outbox; and no secret in any log line. Short schedules through the
 * documented knobs: WEBHOOK_RETRY_SCHEDULE=1 (a second between attempts), WEBHOOK_TIMEOUT=1.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connectSql, type SqlClient } from "./sql.js";
import { type Stack, startStack } from "./support.js";
import { TestReceiver } from "./webhookReceiver.js";

const URL_TOKEN = "receiver-url-token-never-logged";

let stack: Stack;
let db: SqlClient;
let receiver: TestReceiver;

before(async () => {
  receiver = await new TestReceiver(`/hooks?token=${URL_TOKEN}`).up();
  stack = await startStack({
    WEBHOOKS: JSON.stringify([{ url: receiver.url, secret: receiver.secret, events: ["user.created", "session.created"] }]),
    WEBHOOK_RETRY_SCHEDULE: "1",
    WEBHOOK_TIMEOUT: "1",
  });
  db = await connectSql(stack.databaseUrl);
});
after(async () => {
  await db.end();
  await stack.stop();
  await receiver.down();
});

/** Logs a new person in; returns their user id. */
async function newUser(person: string): Promise<number> {
  const res = await stack.login(person);
  assert.equal(res.status, 200, res.text);
  return res.body.user.id as number;
}

/** The outbox rows of a user's user.created event. */
async function rowsOf(userId: number): Promise<{ status: string; attempts: number; last_error: string | null }[]> {
  const { rows } = await db.query(
    "SELECT status, attempts, last_error FROM webhook_deliveries WHERE type = 'user.created' AND body LIKE $1",
    [`%"userId":${userId},%`],
  );
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

const arrivalsOf = (id: string) => receiver.arrivals.filter((a) => a.id === id);

describe("retries", () => {
  test("500s, then 200: the same webhook-id, signed afresh each attempt, a retry schedule step apart; delivered once", async () => {
    receiver.behaviour = "error";
    const userId = await newUser("retry-500");
    await receiver.until("two failed attempts", () => receiver.arrivals.filter((a) => a.id !== "").length >= 4);
    receiver.behaviour = "ok";
    const created = await receiver.event("user.created", userId);
    const attempts = arrivalsOf(created.id);
    assert.ok(attempts.length >= 3, `${attempts.length} attempts`);
    for (let i = 1; i < attempts.length; i++) {
      const gap = (attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0);
      assert.ok(gap >= 900, `attempt ${i + 1} came ${gap} ms after the one before, under WEBHOOK_RETRY_SCHEDULE=1`);
    }
    assert.equal(new Set(attempts.map((a) => a.headers["webhook-signature"])).size, attempts.length, "each attempt signed afresh");
    await until(async () => (await rowsOf(userId))[0]?.status === "delivered", "the row delivered");
    const [row] = await rowsOf(userId);
    assert.deepEqual([row?.attempts, row?.last_error], [attempts.length, null]);
  });

  test("a receiver down, then up: every event recorded meanwhile arrives", async () => {
    await receiver.down();
    const users: number[] = [];
    for (let i = 0; i < 5; i++) users.push(await newUser(`down-${i}`));
    await until(async () => (await rowsOf(users[4] as number))[0]?.last_error === "ECONNREFUSED", "a refused attempt");
    await receiver.up();
    for (const userId of users) await receiver.event("user.created", userId);
    for (const userId of users) await receiver.event("session.created", userId);
  });

  test("a receiver that never answers: the attempt times out after WEBHOOK_TIMEOUT and is retried", async () => {
    receiver.behaviour = "hang";
    const userId = await newUser("hang");
    await until(async () => (await rowsOf(userId))[0]?.last_error === "timeout", "a timed-out attempt");
    receiver.behaviour = "ok";
    const created = await receiver.event("user.created", userId);
    assert.ok(arrivalsOf(created.id).length >= 2);
    await until(async () => (await rowsOf(userId))[0]?.status === "delivered", "the row delivered");
  });
});

test("two instances share the outbox: every event sent, none twice at once", async () => {
  const sibling = await stack.startSibling();
  // Slow enough that the events outlast one poll interval (1 s) of 32 attempts at a time each:
  // both instances take part, whichever is woken first.
  receiver.delayMs = 500;
  await receiver.down();
  const users: number[] = [];
  try {
    for (let i = 0; i < 100; i++) users.push(await newUser(`pair-${i}`));
    await receiver.up();
    // Both events of every user: a user.created whose retry came due after its session.created's
    // may still be on its way when the last session.created arrives.
    for (const userId of users) {
      await receiver.event("user.created", userId, 20_000);
      await receiver.event("session.created", userId, 20_000);
    }
    assert.equal(receiver.overlapped, false, "one webhook-id was in flight twice at once");
    const ids = receiver.events.filter((e) => users.includes(e.data.userId)).map((e) => e.id);
    assert.equal(ids.length, 200);
    // Every attempt after the receiver came back succeeded: each event arrived exactly once.
    assert.deepEqual(
      ids.filter((id) => arrivalsOf(id).length !== 1),
      [],
    );
    const delivered = async (m: typeof sibling.deps.metrics) =>
      (await m.webhookDeliveries.get()).values.find((v) => v.labels.status === "delivered")?.value ?? 0;
    assert.ok((await delivered(stack.running.deps.metrics)) > 0 && (await delivered(sibling.deps.metrics)) > 0, "both instances delivered");
  } finally {
    receiver.delayMs = 0;
    await sibling.stop(2000);
  }
});

test("no secret reaches a log line: not the endpoint's secret, not its URL's query", async () => {
  receiver.behaviour = "error";
  const userId = await newUser("quiet");
  await until(async () => (await rowsOf(userId))[0]?.last_error === "HTTP 500", "a failed attempt");
  receiver.behaviour = "ok";
  await receiver.event("user.created", userId);
  const logs = stack.logs.join("");
  assert.match(logs, /webhook delivery failed: will retry/);
  assert.ok(!logs.includes(receiver.secret.slice(6, 30)), "the secret's key");
  assert.ok(!logs.includes(URL_TOKEN), "the URL's query");
});

test("without WEBHOOKS nothing is recorded", async () => {
  const plain = await startStack();
  try {
    assert.equal((await plain.login("nobody-listens")).status, 200);
    const sql = await connectSql(plain.databaseUrl);
    const { rows } = await sql.query("SELECT COUNT(*) AS n FROM webhook_deliveries");
    await sql.end();
    assert.equal(Number(rows[0].n), 0);
  } finally {
    await plain.stop();
  }
});

/** Polls `check` every 50 ms for at most 10 s. */
async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
