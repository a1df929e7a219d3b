/**
 * The login replay lock (src/commands/loginReplay.ts) is released only by its owner, atomically:
 * a lock that expired and was taken by another attempt survives the first owner's release.
 *
 * How the interleaving is forced, on a private redis-server (the pause stops every client's
 * writes): `CLIENT PAUSE WRITE` holds the other attempt's SET of the lock in Redis's queue; the
 * first owner's release is then sent. A release that reads the lock first (GET, allowed during
 * the pause) and deletes it in a second command saw itself as the owner, and its DEL runs after
 * the queued SET, deleting the other attempt's lock. An atomic compare-and-delete is queued
 * whole and sees the other owner.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { LoginReplay } from "../../src/commands/loginReplay.js";
import { PrivateRedis } from "./services.js";

const PREFIX = "tlrlock:";
const CLIENT = { ip: "127.0.0.1", userAgent: "loginReplayLock" };
const redis = new PrivateRedis();
let first: Redis;
let other: Redis;
let control: Redis;
before(async () => {
  await redis.start();
  const url = `redis://127.0.0.1:${redis.port}`;
  [first, other, control] = [new Redis(url), new Redis(url), new Redis(url)];
});
after(async () => {
  for (const client of [first, other, control]) client.disconnect();
  await redis.destroy();
});

/** Until Redis holds a client whose last command is `cmd`, blocked by the pause (flag b). */
async function untilPaused(cmd: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const clients = (await control.client("LIST")) as string;
    if (clients.split("\n").some((line) => line.includes(` cmd=${cmd} `) && /\bflags=\w*b/.test(line))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no client blocked on ${cmd}`);
}

test("a release after the lock passed to another attempt leaves that attempt's lock alone", async () => {
  const replay = new LoginReplay(first, PREFIX, 60, 5_000);
  const attempt = await replay.begin("wxappid:a-code", CLIENT);
  assert.equal(attempt.replayed, false);
  const [lockKey] = await control.keys(`${PREFIX}lr:*:lock`);
  assert.ok(lockKey, "the first attempt holds a lock");

  // The lock has expired and another attempt takes it: its SET waits behind the pause.
  await control.client("PAUSE", 2_000, "WRITE");
  const taken = other.set(lockKey, "another-attempt");
  try {
    await untilPaused("set");
    const released = attempt.replayed ? Promise.resolve() : attempt.release();
    // Give a two-step release time to send both its steps (its read is answered during the pause).
    await new Promise((r) => setTimeout(r, 50));
    await control.client("UNPAUSE");
    await Promise.all([taken, released]);
  } finally {
    await control.client("UNPAUSE");
  }
  assert.equal(await control.get(lockKey), "another-attempt", "the other attempt's lock survives the first owner's release");
});

test("the owner's own release removes its lock", async () => {
  const before = new Set(await control.keys(`${PREFIX}lr:*:lock`));
  const replay = new LoginReplay(first, PREFIX, 60, 5_000);
  const attempt = await replay.begin("wxappid:another-code", CLIENT);
  assert.equal(attempt.replayed, false);
  const lockKey = (await control.keys(`${PREFIX}lr:*:lock`)).find((key) => !before.has(key));
  assert.ok(lockKey, "this attempt holds a lock of its own");
  if (!attempt.replayed) await attempt.release();
  assert.equal(await control.exists(lockKey), 0, "released");
});
