/**
 * The service's own Redis script (compareAndDelete) under auto-pipelining: ioredis loses a
 * command that was defined while others waited in an auto-pipeline, and throws an uncaught
 * error when that pipeline answers; the script is defined when the client is made instead.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { Redis } from "ioredis";
import pino from "pino";
import { startupWait } from "./readiness.js";
import { compareAndDelete, connectRedis } from "./redis.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const key = () => `tx-cad-${randomBytes(6).toString("hex")}`;

/** A command waiting in an auto-pipeline, then compareAndDelete in the same tick, as concurrent requests do. */
async function alongsideQueuedCommand(redis: Redis | Awaited<ReturnType<typeof connectRedis>>) {
  const [held, other] = [key(), key()];
  await redis.set(held, "owner-1");
  const queued = redis.get(other);
  const deleted = compareAndDelete(redis, held, "owner-1");
  const kept = compareAndDelete(redis, held, "someone-else");
  assert.deepEqual(await Promise.all([queued, deleted, kept]), [null, 1, 0]);
  assert.equal(await redis.exists(held), 0);
}

test("a client from connectRedis: compareAndDelete beside a command already queued in the auto-pipeline", async () => {
  const log = pino({ level: "silent" });
  const redis = await connectRedis(REDIS_URL, log, undefined, startupWait(log, 10));
  try {
    await alongsideQueuedCommand(redis);
  } finally {
    redis.disconnect();
  }
});

test("a client connectRedis did not make (auto-pipelining on): the same, the script sent as EVAL", async () => {
  const redis = new Redis(REDIS_URL, { enableAutoPipelining: true });
  try {
    await redis.ping();
    await alongsideQueuedCommand(redis);
    assert.equal("txCompareAndDelete" in redis, false, "nothing defined on a client in use");
  } finally {
    redis.disconnect();
  }
});
