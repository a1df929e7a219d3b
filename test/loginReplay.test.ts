/**
 * Login retries that just work: a login is idempotent per code for LOGIN_REPLAY_WINDOW seconds.
 * A mobile network that lost the answer retries with the same code and gets the same token and
 * session, without a second code2Session call (which would get 40163); once that session has
 * ended, the code is spent.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { codeFor, dumpRedis, indexAndSessions, type Stack, startStack } from "./support.js";

let stack: Stack;
let short: Stack;
before(async () => {
  [stack, short] = await Promise.all([startStack(), startStack({ LOGIN_REPLAY_WINDOW: "1" })]);
});
after(async () => {
  await Promise.all([stack.stop(), short.stop()]);
});

const login = (s: Stack, code: string, profile?: Record<string, unknown>) =>
  s.request("POST", "/auth/login", { body: { code, ...(profile && { profile }) } });

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
