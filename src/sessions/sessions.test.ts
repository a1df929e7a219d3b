/**
 * The session rules at their boundaries, with an injected clock (the store is the real Redis;
 * only "now" is chosen): idle timeout, absolute timeout, sliding renewal. The real-time suites
 * (test/lifecycleSuite.ts) check the same against Redis's own clock and TTLs. Also: one fixture
 * hash read by both codecs, the Lua scripts' and record.ts's, so they cannot drift.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import { clearRedisPrefix, REDIS_URL } from "../../test/support.js";
import { encodeRecord, type SessionRecord } from "../../verifier/src/record.js";
import { renewalDue } from "../../verifier/src/resolveSession.js";
import { SessionKeyVault } from "./sessionKeyVault.js";
import { Sessions } from "./sessions.js";
import { SessionStore } from "./store.js";
import { encodeUserAgent } from "./userAgent.js";

const APPID = "wxunit000000000000";
const prefix = `tunit${randomBytes(3).toString("hex")}:`;
const redis = new Redis(REDIS_URL);
after(async () => {
  redis.disconnect();
  await clearRedisPrefix(prefix);
});

const IDLE = 3600; // seconds
const MAX_AGE = 4 * 3600;
let userId = 800_000;

/** Sessions whose clock reads `clock.now` (epoch ms), starting at the real time. */
function withClock() {
  const clock = { now: Date.now() };
  const store = new SessionStore(redis, prefix, APPID);
  const sessions = new Sessions(
    store,
    new SessionKeyVault(randomBytes(32)),
    { idleTtl: IDLE, maxAge: MAX_AGE, maxPerUser: 10 },
    () => clock.now,
  );
  return { clock, sessions };
}

const newSession = (sessions: Sessions) =>
  sessions.create({
    userId: ++userId,
    appid: APPID,
    platform: "wechat",
    openid: "o-unit",
    unionid: null,
    sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
    ip: "203.0.113.1",
    userAgent: "ua",
  });

test("renewalDue: only with less than half the idle window left, never past the absolute timeout", () => {
  const base = { createdAt: 0, lastSeenAt: 0, absoluteExpiresAt: 10 * IDLE * 1000 } as SessionRecord;
  const r = { ...base, expiresAt: IDLE * 1000 };
  assert.equal(renewalDue(r, IDLE, (IDLE * 1000) / 2), false, "exactly half left");
  assert.equal(renewalDue(r, IDLE, (IDLE * 1000) / 2 + 1), true, "a millisecond less");
  assert.equal(renewalDue({ ...r, absoluteExpiresAt: r.expiresAt }, IDLE, IDLE * 1000 - 1), false, "capped by the absolute timeout");
});

test("idle timeout: alive one millisecond before, dead at the instant", async () => {
  const { clock, sessions } = withClock();
  const early = await newSession(sessions);
  const late = await newSession(sessions);
  clock.now = early.record.createdAt + (IDLE * 1000) / 2;
  assert.equal((await sessions.resolve(early.token))?.lastSeenAt, early.record.createdAt, "half the window left: read, no write");
  clock.now = late.record.expiresAt - 1;
  assert.ok(await sessions.resolve(late.token), "a millisecond before the idle timeout");
  const untouched = await newSession(sessions);
  clock.now = untouched.record.expiresAt;
  assert.equal(await sessions.resolve(untouched.token), null, "at the idle timeout");
});

test("sliding renewal moves expiresAt to now + idle, written once per half window", async () => {
  const { clock, sessions } = withClock();
  const { token, record } = await newSession(sessions);
  clock.now = record.createdAt + (IDLE * 1000) / 2 + 1;
  const renewed = await sessions.resolve(token);
  assert.equal(renewed?.lastSeenAt, clock.now);
  assert.equal(renewed?.expiresAt, clock.now + IDLE * 1000);
  const stored = await sessions.resolve(token);
  assert.equal(stored?.expiresAt, renewed?.expiresAt, "the renewal was stored");
  clock.now += 1000;
  assert.equal((await sessions.resolve(token))?.lastSeenAt, renewed?.lastSeenAt, "not renewed again a second later");
});

test("absolute timeout: a session used all along dies at createdAt + maxAge", async () => {
  const { clock, sessions } = withClock();
  const { token, record } = await newSession(sessions);
  // Use it every 40 minutes: each use past the half-window renews it.
  for (
    clock.now = record.createdAt;
    clock.now < record.absoluteExpiresAt - 1;
    clock.now = Math.min(clock.now + 40 * 60_000, record.absoluteExpiresAt - 1)
  ) {
    const r = await sessions.resolve(token);
    assert.ok(r, `alive at +${(clock.now - record.createdAt) / 60_000} min`);
    assert.ok(r.expiresAt <= record.absoluteExpiresAt);
  }
  clock.now = record.absoluteExpiresAt;
  assert.equal(await sessions.resolve(token), null);
});

test("one fixture hash, two codecs: the Lua scripts keep exactly the sessions record.ts finds live", async () => {
  const { clock, sessions } = withClock();
  const now = clock.now;
  const id = ++userId;
  const key = sessions.store.keys.user(id);
  const ua = encodeUserAgent("ua-fixture");
  const record = (sid: string, expiresAt: number, slot = ""): [string, string] => [
    sid,
    encodeRecord(
      {
        userId: id,
        sid,
        createdAt: now - 1000,
        lastSeenAt: now - 1000,
        expiresAt,
        absoluteExpiresAt: now + 10_000,
        appid: "",
        platform: "wechat",
        slot,
        openid: "",
        unionid: null,
        ip: "198.51.100.7",
        userAgentRef: ua.ref,
        restrictions: [],
        elevatedAt: 0,
        elevatedUntil: 0,
      },
      true,
    ),
  ];
  const fixture = [
    record("A".repeat(22), now + 1), // live by a millisecond
    record("B".repeat(22), now), // dead at the instant
    record("C".repeat(22), now + 5000, "0"), // live, another app's (slot 0)
  ];
  await redis.hset(
    key,
    ...fixture.flat(),
    "o",
    "o-primary",
    "o0",
    "o-lite",
    "p0",
    "wxlite0000000000000",
    `a${ua.ref}0`,
    ua.pieces[0] as string,
  );
  await redis.pexpireat(key, now + 10_000);
  const listed = await sessions.store.list(id, now); // Lua decides what is live
  assert.deepEqual(listed.map((s) => [s.sid, s.expiresAt, s.appid, s.openid, s.userAgent]).sort(), [
    ["A".repeat(22), now + 1, APPID, "o-primary", "ua-fixture"],
    ["C".repeat(22), now + 5000, "wxlite0000000000000", "o-lite", "ua-fixture"],
  ]);
  assert.equal(await redis.hexists(key, "B".repeat(22)), 0, "the Lua side dropped the dead one");
  // And the hot path (record.ts alone) agrees, session by session.
  assert.equal(((await sessions.store.get(id, "A".repeat(22), now)) as SessionRecord).expiresAt, now + 1);
  assert.equal(((await sessions.store.get(id, "C".repeat(22), now)) as SessionRecord).openid, "o-lite");
});
