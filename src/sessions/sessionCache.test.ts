/**
 * The cache's rule against reads in flight, on a real Redis connection with tracking on: a read
 * that started before an invalidation is not cached, whether the invalidation named its user or
 * was a flush of everything (Redis sends a null invalidation on FLUSHALL/FLUSHDB).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import pino from "pino";
import { REDIS_URL } from "../../test/support.js";
import type { SessionRecord } from "./record.js";
import { SessionCache } from "./sessionCache.js";

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
  slot: "",
  openid: "o",
  unionid: null,
  ip: "",
  userAgentRef: "AAAAAA",
});

test("a read with no invalidation meanwhile is cached", () => {
  const r = record(1);
  cache.set(r, cache.ticket(Date.now()), Date.now());
  assert.equal(cache.get(1, r.sid, Date.now()), r);
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
