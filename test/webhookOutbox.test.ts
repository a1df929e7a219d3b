/**
 * The outbox's SQL (src/events/outbox.ts) on a real database, PostgreSQL or MariaDB
 * (TEST_DATABASE): concurrent claims from two pools never hand one row out twice; an outcome is
 * written only by the attempt that holds the row; retention removes delivered rows only; the
 * retry schedule's steps.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createPrisma, type PrismaClient } from "../src/clients/prisma.js";
import { startupWait } from "../src/clients/readiness.js";
import { dropDatabase } from "../src/db/database.js";
import { migrateDatabase } from "../src/db/migrate.js";
import { claimDue, finish, oldestPending, purgeDelivered } from "../src/events/outbox.js";
import { retryDelayMs } from "../src/events/worker.js";
import { createLogger } from "../src/log.js";
import { freshDatabaseUrl } from "./support.js";

const URL_A = "https://a.example.com/hooks";
const log = createLogger("silent");
const databaseUrl = freshDatabaseUrl();
let one: PrismaClient;
let two: PrismaClient;

before(async () => {
  await migrateDatabase(databaseUrl, 30, log, startupWait(log, 30));
  one = createPrisma(databaseUrl, log);
  two = createPrisma(databaseUrl, log);
});
after(async () => {
  await Promise.all([one.$disconnect(), two.$disconnect()]);
  await dropDatabase(databaseUrl);
});

/** `n` rows due `at`, for `url`. */
async function insertDue(n: number, at: Date, url = URL_A): Promise<void> {
  await one.webhookDelivery.createMany({
    data: Array.from({ length: n }, (_, i) => ({
      eventId: `msg_test${i}`,
      type: "session.created",
      url,
      body: "{}",
      createdAt: at,
      nextAttemptAt: at,
      giveUpAt: new Date(at.getTime() + 3_600_000),
    })),
  });
}

test("claims from two instances at once never share a row; only due rows of known endpoints are claimed", async () => {
  const now = new Date();
  await insertDue(120, new Date(now.getTime() - 1000));
  await insertDue(5, new Date(now.getTime() + 60_000));
  await insertDue(5, new Date(now.getTime() - 1000), "https://unknown.example.com/");
  const claims = await Promise.all(
    Array.from({ length: 16 }, (_, i) => claimDue(i % 2 ? one : two, [URL_A, "https://other.example.com/"], now, 10, 30_000)),
  );
  const ids = claims.flat().map((d) => String(d.id));
  assert.equal(new Set(ids).size, ids.length, "a row was claimed twice");
  assert.equal(ids.length, 120);
  assert.ok(claims.flat().every((d) => d.url === URL_A && d.attempts === 1));
  assert.deepEqual(await claimDue(one, [URL_A], now, 10, 30_000), [], "leased rows are not due");
  await one.webhookDelivery.deleteMany({});
});

test("an outcome is written only while the row is as claimed; a lease that ran out hands it to another instance", async () => {
  const now = new Date();
  await insertDue(1, new Date(now.getTime() - 1000));
  const [first] = await claimDue(one, [URL_A], now, 10, 1000);
  assert.ok(first);
  const later = new Date(now.getTime() + 2000);
  const [second] = await claimDue(two, [URL_A], later, 10, 1000);
  assert.equal(second?.attempts, 2);
  assert.equal(await finish(one, first, { status: "delivered" }, later), false, "the stalled attempt writes nothing");
  assert.equal(await finish(two, second as NonNullable<typeof second>, { status: "failed", error: "HTTP 500" }, later), true);
  const row = await one.webhookDelivery.findFirstOrThrow({});
  assert.deepEqual([row.status, row.lastError, row.attempts], ["failed", "HTTP 500", 2]);
  await one.webhookDelivery.deleteMany({});
});

test("retention removes delivered rows older than the cutoff only; the oldest pending row's age", async () => {
  const now = Date.now();
  await insertDue(3, new Date(now - 10 * 86_400_000));
  await one.webhookDelivery.updateMany({ data: { status: "delivered" } });
  await insertDue(2, new Date(now - 86_400_000));
  await one.webhookDelivery.updateMany({ where: { status: "pending" }, data: { status: "delivered" } });
  await insertDue(1, new Date(now - 20 * 86_400_000));
  await one.webhookDelivery.updateMany({ where: { status: "pending" }, data: { status: "failed" } });
  await insertDue(1, new Date(now - 30_000));
  assert.equal(await purgeDelivered(one, new Date(now - 7 * 86_400_000)), 3);
  const left = await one.webhookDelivery.groupBy({ by: ["status"], _count: true, orderBy: { status: "asc" } });
  assert.deepEqual(
    left.map((g) => [g.status, g._count]),
    [
      ["delivered", 2],
      ["failed", 1],
      ["pending", 1],
    ],
  );
  assert.equal((await oldestPending(one))?.getTime(), now - 30_000);
  await one.webhookDelivery.deleteMany({});
  assert.equal(await oldestPending(one), null);
});

test("retry schedule: the nth failure waits the nth step; the last step repeats", () => {
  const schedule = [5, 30, 120, 600, 3600, 14400];
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelayMs(schedule, n) / 1000),
    [5, 30, 120, 600, 3600, 14400, 14400, 14400],
  );
});
