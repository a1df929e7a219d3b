/**
 * Operating webhooks: a receiver that keeps failing until tongxing gives up (failed), the admin
 * API's listing and retry (GET /admin/webhooks/deliveries, POST .../:id/retry), the metrics
 * (tongxing_webhook_deliveries_total, tongxing_webhook_oldest_pending_seconds), and retention.
 * Short times through the documented knobs: WEBHOOK_RETRY_SCHEDULE=1, WEBHOOK_GIVE_UP_AFTER=3.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { webhookDelivery } from "../src/routes/openapi/webhookRoutes.js";
import { type Stack, startStack } from "./support.js";
import { TestReceiver } from "./webhookReceiver.js";

const ADMIN_TOKEN = "h".repeat(40);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let stack: Stack;
let receiver: TestReceiver;

before(async () => {
  receiver = await new TestReceiver("/hooks?key=query-secret-of-the-receiver").up();
  stack = await startStack({
    ADMIN_TOKEN,
    WEBHOOKS: JSON.stringify([{ url: receiver.url, secret: receiver.secret, events: ["user.created"] }]),
    WEBHOOK_RETRY_SCHEDULE: "1",
    WEBHOOK_TIMEOUT: "1",
    WEBHOOK_GIVE_UP_AFTER: "3",
  });
});
after(async () => {
  await stack.stop();
  await receiver.down();
});

type Delivery = { id: number; eventId: string; status: string; event: { data: { userId: number } } } & Record<string, unknown>;

async function deliveries(query = ""): Promise<Delivery[]> {
  const res = await stack.request("GET", `/admin/webhooks/deliveries${query}`, { headers: admin });
  assert.equal(res.status, 200, res.text);
  return res.body.deliveries;
}

/** The delivery of the user.created of `userId` once `check` holds for it. */
async function deliveryOf(userId: number, check: (d: Delivery) => boolean, what: string, ms = 15_000): Promise<Delivery> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = (await deliveries("?type=user.created")).find((d) => d.event.data.userId === userId);
    if (found && check(found)) return found;
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms: ${JSON.stringify(found)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function metric(name: string, labels = ""): Promise<number> {
  const text = (await stack.request("GET", "/metrics")).text;
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

const newUser = async (person: string) => (await stack.login(person)).body.user.id as number;

test("a receiver that keeps failing: retried until WEBHOOK_GIVE_UP_AFTER, then failed, listed, counted", async () => {
  receiver.behaviour = "error";
  const userId = await newUser("gives-up");
  const failed = await deliveryOf(userId, (d) => d.status === "failed", "the delivery failed");
  webhookDelivery.strict().parse(failed);
  assert.equal(failed.lastError, "HTTP 500");
  assert.ok((failed.attempts as number) >= 3, `${failed.attempts} attempts in 3 s, a second apart`);
  assert.equal(failed.endpoint, receiver.url.split("?")[0], "the URL's query is never shown");
  assert.deepEqual([failed.nextAttemptAt, failed.deliveredAt], [null, null]);
  assert.deepEqual(
    (await deliveries("?status=failed")).map((d) => d.id),
    [failed.id],
  );
  assert.equal(await metric("tongxing_webhook_deliveries_total", '{status="failed"}'), 1);
  assert.ok((await metric("tongxing_webhook_deliveries_total", '{status="retrying"}')) >= 2);
  const arrivals = receiver.arrivals.filter((a) => a.id === failed.eventId).length;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(receiver.arrivals.filter((a) => a.id === failed.eventId).length, arrivals, "no attempt after failed");
});

test("retry from the admin API: pending again, sent with the same webhook-id, delivered; 409 while pending; 404", async () => {
  receiver.behaviour = "ok";
  const [failed] = await deliveries("?status=failed");
  assert.ok(failed);
  const res = await stack.request("POST", `/admin/webhooks/deliveries/${failed.id}/retry`, { headers: admin });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.body.status, res.body.attempts, res.body.lastError], ["pending", 0, null]);
  const event = await receiver.event("user.created", failed.event.data.userId);
  assert.equal(event.id, failed.eventId);
  const delivered = await deliveryOf(failed.event.data.userId, (d) => d.status === "delivered", "the retried delivery");
  assert.ok(delivered.deliveredAt);
  assert.equal(await metric("tongxing_webhook_deliveries_total", '{status="delivered"}'), 1);

  receiver.behaviour = "hang";
  const userId = await newUser("still-pending");
  const pending = await deliveryOf(userId, (d) => d.status === "pending", "a pending delivery");
  const again = await stack.request("POST", `/admin/webhooks/deliveries/${pending.id}/retry`, { headers: admin });
  assert.deepEqual([again.status, again.body.error?.code], [409, "WEBHOOK_DELIVERY_PENDING"]);
  for (const id of ["999999", "abc", "0"]) {
    const missing = await stack.request("POST", `/admin/webhooks/deliveries/${id}/retry`, { headers: admin });
    assert.deepEqual([missing.status, missing.body.error?.code], [404, "WEBHOOK_DELIVERY_NOT_FOUND"], id);
  }
  receiver.behaviour = "ok";
});

test("listing: by status and type, newest first, paged; bad filters are 400; the token is required", async () => {
  const ids = [await newUser("page-1"), await newUser("page-2"), await newUser("page-3")];
  for (const userId of ids) await deliveryOf(userId, (d) => d.status === "delivered", "delivered");
  const first = await stack.request("GET", "/admin/webhooks/deliveries?status=delivered&type=user.created&limit=2", { headers: admin });
  assert.deepEqual(
    first.body.deliveries.map((d: Delivery) => d.event.data.userId),
    [ids[2], ids[1]],
  );
  const second = await deliveries(`?status=delivered&type=user.created&limit=2&before=${first.body.next}`);
  assert.equal(second[0]?.event.data.userId, ids[0]);
  assert.deepEqual(await deliveries("?type=session.ended"), []);
  for (const query of ["?status=lost", "?type=user.exploded", "?limit=0", "?before=x", "?page=2"]) {
    const res = await stack.request("GET", `/admin/webhooks/deliveries${query}`, { headers: admin });
    assert.deepEqual([res.status, res.body.error?.code], [400, "INVALID_REQUEST"], query);
  }
  const anonymous = await stack.request("GET", "/admin/webhooks/deliveries");
  assert.equal(anonymous.status, 401);
});

test("the oldest pending event's age; WEBHOOK_RETENTION: delivered events are removed once that old", async () => {
  const short = await startStack({
    ADMIN_TOKEN,
    WEBHOOKS: JSON.stringify([{ url: receiver.url, secret: receiver.secret, events: ["user.created"] }]),
    WEBHOOK_RETRY_SCHEDULE: "1",
    WEBHOOK_RETENTION: "1",
  });
  try {
    await receiver.down();
    const userId = (await short.login("forgotten")).body.user.id as number;
    // Each instance reads the age every 10 s.
    const gauge = async () => {
      const line = (await short.request("GET", "/metrics")).text
        .split("\n")
        .find((l) => l.startsWith("tongxing_webhook_oldest_pending_seconds "));
      return Number(line?.split(" ")[1] ?? 0);
    };
    const until = Date.now() + 15_000;
    while ((await gauge()) <= 0) {
      assert.ok(Date.now() < until, "the oldest pending event's age");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await receiver.up();
    await receiver.event("user.created", userId);
    const count = async () =>
      (await short.request("GET", "/admin/webhooks/deliveries", { headers: admin })).body.deliveries.length as number;
    // Removed by the next retention pass (every 10 s) after it is a second old.
    const deadline = Date.now() + 15_000;
    while ((await count()) > 0) {
      assert.ok(Date.now() < deadline, "the delivered event was not removed");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await short.stop();
  }
});
