/**
 * Login retries that just work: a login is idempotent per code for LOGIN_REPLAY_WINDOW seconds.
 * A mobile network that lost the answer retries with the same code and gets the same token and
 * session, without a second code2Session call (which would get 40163); once that session has
 * ended, the code is spent. Only the client that logged in gets the replay (same User-Agent, same
 * IPv4 /24 or IPv6 /64): for anyone else the code is spent.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { codeFor, dumpRedis, indexAndSessions, type Stack, startStack } from "./support.js";

let stack: Stack;
let short: Stack;
before(async () => {
  // TRUSTED_PROXIES (loopback): the tests that move the client between networks do it with X-Forwarded-For; the
  // others send none, so their client IP is the socket's as without it.
  [stack, short] = await Promise.all([startStack({ TRUSTED_PROXIES: "loopback" }), startStack({ LOGIN_REPLAY_WINDOW: "1" })]);
});
after(async () => {
  await Promise.all([stack.stop(), short.stop()]);
});

const login = (s: Stack, code: string, profile?: Record<string, unknown>) =>
  s.request("POST", "/auth/login", { body: { code, ...(profile && { profile }) } });

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) MicroMessenger/8.0.50(0x18003237) NetType/WIFI";
const ANDROID = "Mozilla/5.0 (Linux; Android 14; wv) MicroMessenger/8.0.49.2600(0x28003133) NetType/5G";
/** A login with `code` from a client: its User-Agent and its IP (as the nearest proxy saw it). */
const loginFrom = (code: string, userAgent: string, ip: string) =>
  stack.request("POST", "/auth/login", { body: { code }, headers: { "user-agent": userAgent, "x-forwarded-for": ip } });

/** Asserts `res` is what a spent code gets: 401 WECHAT_CODE_INVALID, and no token. */
function assertSpent(res: { status: number; body: any; text: string }): void {
  assert.equal(res.status, 401, res.text);
  assert.equal(res.body.error.code, "WECHAT_CODE_INVALID");
  assert.equal(res.body.token, undefined);
  assert.ok(!res.text.includes("token"), "no token in the answer");
}

test("a retry with the same code answers the same token and session, without asking WeChat again", async () => {
  const code = codeFor("replay");
  const first = await login(stack, code, { nickname: "重试" });
  assert.equal(first.status, 200, first.text);
  const calls = stack.fake.callCount("/sns/jscode2session");
  const retry = await login(stack, code, { nickname: "重试" });
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.body.token, first.body.token);
  assert.equal(retry.body.isNewUser, first.body.isNewUser);
  assert.deepEqual(retry.body.user, first.body.user);
  assert.equal(stack.fake.callCount("/sns/jscode2session"), calls, "no second code2Session call");
  const { live } = await indexAndSessions(stack, first.body.user.id);
  assert.equal(live.length, 1, "one session");
  assert.equal((await stack.request("GET", "/auth/session", { token: retry.body.token })).status, 200);
});

test("nothing stored lets anyone without the code recover the token", async () => {
  const code = codeFor("replay-secret");
  const { body } = await login(stack, code);
  const dump = await dumpRedis(stack);
  assert.ok(!dump.includes(body.token), "the token is not in Redis");
  assert.ok(!dump.includes(body.token.split(".")[1]), "nor its secret part");
  assert.ok(!dump.includes(code), "nor the code");
});

test("once the session has ended (logout), replaying the code is 401 WECHAT_CODE_INVALID", async () => {
  const code = codeFor("replay-logout");
  const first = await login(stack, code);
  assert.equal((await stack.request("POST", "/auth/logout", { token: first.body.token })).status, 204);
  const replay = await login(stack, code);
  assert.equal(replay.status, 401);
  assert.equal(replay.body.error.code, "WECHAT_CODE_INVALID");
});

test("concurrent duplicates of one code (a double tap) give one code2Session call and one session", async () => {
  const code = codeFor("double-tap");
  const calls = stack.fake.callCount("/sns/jscode2session");
  const answers = await Promise.all(Array.from({ length: 5 }, () => login(stack, code)));
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 200, 200, 200],
  );
  assert.equal(new Set(answers.map((a) => a.body.token)).size, 1, "one token for all");
  assert.equal(stack.fake.callCount("/sns/jscode2session") - calls, 1);
  const { live } = await indexAndSessions(stack, answers[0]?.body.user.id);
  assert.equal(live.length, 1);
});

test("a failed exchange is not remembered: the retry asks WeChat again", async () => {
  const code = codeFor("replay-busy");
  stack.fake.script(code, { status: 500 }, { status: 500 }, { status: 500 });
  assert.equal((await login(stack, code)).status, 502);
  const retry = await login(stack, code);
  assert.equal(retry.status, 200, retry.text);
});

test("after LOGIN_REPLAY_WINDOW the code is spent as WeChat says: 401", async () => {
  const code = codeFor("replay-window");
  assert.equal((await login(short, code)).status, 200);
  await new Promise((r) => setTimeout(r, 1300));
  const late = await login(short, code);
  assert.equal(late.status, 401);
  assert.equal(late.body.error.code, "WECHAT_CODE_INVALID");
});

test("a replay from another User-Agent is 401 WECHAT_CODE_INVALID, without asking WeChat; the client itself still gets it", async () => {
  const code = codeFor("replay-ua");
  const first = await loginFrom(code, IPHONE, "198.51.100.7");
  assert.equal(first.status, 200, first.text);
  const calls = stack.fake.callCount("/sns/jscode2session");
  assertSpent(await loginFrom(code, ANDROID, "198.51.100.7"));
  assertSpent(await loginFrom(code, "", "198.51.100.7"));
  assert.equal(stack.fake.callCount("/sns/jscode2session"), calls, "WeChat not asked");
  const retry = await loginFrom(code, IPHONE, "198.51.100.7");
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.body.token, first.body.token);
});

test("a replay from another IPv4 /24 is 401; from the same /24 (another address) it is answered", async () => {
  const code = codeFor("replay-v4");
  const first = await loginFrom(code, IPHONE, "198.51.100.7");
  assert.equal(first.status, 200, first.text);
  const calls = stack.fake.callCount("/sns/jscode2session");
  assertSpent(await loginFrom(code, IPHONE, "198.51.101.7"));
  assert.equal(stack.fake.callCount("/sns/jscode2session"), calls, "WeChat not asked");
  const moved = await loginFrom(code, IPHONE, "198.51.100.200");
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.body.token, first.body.token);
  // The same address spelled as IPv4-mapped IPv6 is the same network.
  const mapped = await loginFrom(code, IPHONE, "::ffff:198.51.100.9");
  assert.equal(mapped.status, 200, mapped.text);
  assert.equal(mapped.body.token, first.body.token);
});

test("a replay from another IPv6 /64 is 401; from the same /64 (another address) it is answered", async () => {
  const code = codeFor("replay-v6");
  const first = await loginFrom(code, IPHONE, "2001:db8:1:2::1");
  assert.equal(first.status, 200, first.text);
  const calls = stack.fake.callCount("/sns/jscode2session");
  assertSpent(await loginFrom(code, IPHONE, "2001:db8:1:3::1"));
  assert.equal(stack.fake.callCount("/sns/jscode2session"), calls, "WeChat not asked");
  const moved = await loginFrom(code, IPHONE, "2001:0db8:1:2:ffff::42");
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.body.token, first.body.token);
});

test("concurrent logins with one code from two clients: one session, one code2Session call, the other client 401", async () => {
  const code = codeFor("replay-race");
  const calls = stack.fake.callCount("/sns/jscode2session");
  const answers = await Promise.all([loginFrom(code, IPHONE, "198.51.100.7"), loginFrom(code, ANDROID, "203.0.113.5")]);
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401], answers.map((a) => a.text).join("\n"));
  assert.equal(stack.fake.callCount("/sns/jscode2session") - calls, 1);
});
