/**
 * The cache's rule against reads in flight, on a real Redis connection with tracking on: a read
 * that started before an invalidation is not cached, whether the invalidation named its user or
 * was a flush of everything (Redis sends a null invalidation on FLUSHALL/FLUSHDB); and a killed data
 * connection turns the cache off in the very turn that reads its end (watchSocket).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import pino from "pino";
import { REDIS_URL } from "../../test/support.js";
import type { SessionRecord } from "../../verifier/src/record.js";
import { SessionCache } from "../../verifier/src/sessionCache.js";
import { presentSession } from "../presenters/session.js";

const prefix = `tcache${randomBytes(3).toString("hex")}:`;
const data = new Redis(REDIS_URL, { lazyConnect: true });
const cache = new SessionCache({ ttlMs: 60_000, maxSessions: 100, prefix }, pino({ level: "silent" }));
before(async () => {
  await data.connect();
  await cache.start(data);
  for (let i = 0; i < 50 && !cache.ready; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cache.ready, "tracking is on");
});
after(() => {
  cache.stop();
  data.disconnect();
});

const record = (userId: number): SessionRecord => ({
  userId,
  sid: "S".repeat(22),
  createdAt: Date.now(),
  lastSeenAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  absoluteExpiresAt: Date.now() + 120_000,
  appid: "wxunit000000000000",
  platform: "wechat",
  slot: "",
  openid: "o",
  unionid: null,
  ip: "",
  userAgentRef: "AAAAAA",
  restrictions: [],
  elevatedAt: 0,
  elevatedUntil: 0,
});

test("a read with no invalidation meanwhile is cached", () => {
  const r = record(1);
  cache.set(r, cache.ticket(Date.now()), Date.now());
  assert.equal(cache.get(1, r.sid, Date.now()), r);
});

test("what the cache hands out cannot be changed (its public view is memoized per record)", () => {
  const r = record(5);
  cache.set(r, cache.ticket(Date.now()), Date.now());
  const held = cache.get(5, r.sid, Date.now());
  assert.ok(held && Object.isFrozen(held));
  assert.throws(() => {
    (held as { expiresAt: number }).expiresAt = 0;
  }, TypeError);
  assert.ok(Object.isFrozen(presentSession(held)));
});

test("a read in flight across its user's invalidation is not cached", () => {
  const r = record(2);
  const ticket = cache.ticket(Date.now());
  cache.invalidateUser(2);
  cache.set(r, ticket, Date.now());
  assert.equal(cache.get(2, r.sid, Date.now()), undefined);
});

test("a read in flight across a flush of everything is not cached", () => {
  const r = record(3);
  const ticket = cache.ticket(Date.now());
  cache.invalidate(null);
  cache.set(r, ticket, Date.now());
  assert.equal(cache.get(3, r.sid, Date.now()), undefined);
});

test("a killed data connection turns the cache off in the turn that reads its end, before any later turn answers from it", async () => {
  const r = record(4);
  cache.set(r, cache.ticket(Date.now()), Date.now());
  assert.ok(cache.holds(4, r.sid, r), "cached");
  const socket = data.stream;
  // sessions.ts answers from the cache one turn after the request arrived (a setImmediate),
  // then asks holds(): what that turn would see once the socket has read its end. ioredis
  // itself only reports the loss on the socket's 'close', in a later phase of the loop.
  const seen = new Promise<boolean>((resolve) => socket.once("end", () => setImmediate(() => resolve(cache.holds(4, r.sid, r)))));
  const control = new Redis(REDIS_URL);
  try {
    await control.client("KILL", "ID", String(await data.client("ID")));
    assert.equal(await seen, false, "not served from the cache after the connection's end was read");
  } finally {
    control.disconnect();
  }
  // ioredis reconnects; the cache switches tracking on again and is usable once more.
  for (let i = 0; i < 100 && !cache.ready; i++) await new Promise((res) => setTimeout(res, 20));
  assert.ok(cache.ready, "usable again after the reconnect");
  assert.equal(cache.get(4, r.sid, Date.now()), undefined, "and emptied: nothing from before the drop");
});
