/**
 * Step-up: a SOTER result over this session's challenge, verified by (the fake) WeChat, or the
 * bound phone's getPhoneNumber code, marks the session stepped up for STEP_UP_TTL; the library's
 * requireStepUp asks for it; every failure is 401 STEP_UP_FAILED and audited.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fakeSoterSignature } from "../src/wechat/fakeServer.js";
import { createSessionVerifier, requireSession, requireStepUp, type SessionVerifier } from "../verifier/src/index.js";
import { startLibraryApi } from "./libraryApi.js";
import { REDIS_URL, type Stack, startStack } from "./support.js";

let stack: Stack;
let verifier: SessionVerifier;
let api: { url: string; close(): void };

before(async () => {
  stack = await startStack({ STEP_UP_TTL: "2" });
  verifier = createSessionVerifier({ redis: REDIS_URL, keyPrefix: stack.prefix });
  api = await startLibraryApi([requireSession(verifier), requireStepUp()]);
});
after(async () => {
  api?.close();
  await verifier?.close();
  await stack?.stop();
});

/** What wx.startSoterAuthentication gives for a challenge: resultJSON (raw = the challenge) and the device's signature. */
function soterResult(challenge: string, signedBy: (text: string) => string = fakeSoterSignature) {
  const resultJSON = JSON.stringify({
    raw: challenge,
    fid: "123456",
    counter: 1,
    tee_n: "TEE",
    tee_v: "1",
    fp_n: "fp",
    fp_v: "1",
    cpu_id: "cpu",
    uid: "21",
  });
  return { method: "soter", resultJSON, resultJSONSignature: signedBy(resultJSON) };
}

const withdraw = (token: string) => fetch(`${api.url}/withdraw`, { method: "POST", headers: { "x-wx-token": token } });

test("SOTER: challenge → fingerprint → stepped up until STEP_UP_TTL; the library lets the sensitive route through, then not", async () => {
  const { token } = (await stack.login("su-ann")).body;
  assert.equal((await withdraw(token)).status, 403);
  const challenge = (await stack.request("POST", "/auth/step-up/challenge", { token })).body.challenge;
  assert.match(challenge, /^[A-Za-z0-9_-]{32}$/);
  const res = await stack.request("POST", "/auth/step-up", { token, body: soterResult(challenge) });
  assert.equal(res.status, 200, res.text);
  const until = Date.parse(res.body.elevatedUntil);
  assert.ok(until > Date.now() && until <= Date.now() + 2000);
  const session = await stack.request("GET", "/auth/session", { token });
  assert.equal(session.body.elevatedUntil, res.body.elevatedUntil);
  const verify = await stack.request("GET", "/auth/verify", { token });
  assert.equal(verify.headers.get("x-tongxing-elevated-until"), res.body.elevatedUntil);
  assert.equal((await withdraw(token)).status, 200);
  await new Promise((r) => setTimeout(r, until - Date.now() + 50));
  const late = await withdraw(token);
  assert.deepEqual([late.status, ((await late.json()) as { error: { code: string } }).error.code], [403, "STEP_UP_REQUIRED"]);
  assert.equal((await stack.request("GET", "/auth/session", { token })).body.elevatedUntil, null);
});

test("SOTER failures: a reused or another session's challenge, a signature WeChat refuses → 401 STEP_UP_FAILED, audited", async () => {
  const a = (await stack.login("su-bob")).body;
  const b = (await stack.login("su-bob")).body;
  const challenge = (await stack.request("POST", "/auth/step-up/challenge", { token: a.token })).body.challenge;
  const other = await stack.request("POST", "/auth/step-up", { token: b.token, body: soterResult(challenge) });
  assert.deepEqual([other.status, other.body.error.code], [401, "STEP_UP_FAILED"]);
  const forged = await stack.request("POST", "/auth/step-up", { token: a.token, body: soterResult(challenge, () => "forged") });
  assert.deepEqual([forged.status, forged.body.error.code], [401, "STEP_UP_FAILED"]);
  const reused = await stack.request("POST", "/auth/step-up", { token: a.token, body: soterResult(challenge) });
  assert.deepEqual([reused.status, reused.body.error.code], [401, "STEP_UP_FAILED"], "a challenge is spent by its first try");
  assert.equal((await withdraw(a.token)).status, 403);
  await stack.running.deps.audit.flush();
  const failed = await stack.running.deps.prisma.auditEvent.count({ where: { userId: a.user.id, action: "step_up_failed" } });
  assert.equal(failed, 3);
  const bad = await stack.request("POST", "/auth/step-up", { token: a.token, body: { method: "face" } });
  assert.equal(bad.status, 400);
});

test("phone: the bound number's getPhoneNumber code steps up; another number fails; none bound is 409 NO_PHONE", async () => {
  const { token } = (await stack.login("su-cat")).body;
  const none = await stack.request("POST", "/auth/step-up", { token, body: { method: "phone", code: "phone-13800000001" } });
  assert.deepEqual([none.status, none.body.error.code], [409, "NO_PHONE"]);
  assert.equal((await stack.request("POST", "/me/phone", { token, body: { code: "phone-13800000001" } })).status, 200);
  const wrong = await stack.request("POST", "/auth/step-up", { token, body: { method: "phone", code: "phone-13800000002" } });
  assert.deepEqual([wrong.status, wrong.body.error.code], [401, "STEP_UP_FAILED"]);
  const used = await stack.request("POST", "/auth/step-up", { token, body: { method: "phone", code: "phone-13800000001" } });
  assert.deepEqual([used.status, used.body.error.code], [400, "PHONE_CODE_INVALID"], "a button code is single use");
  const right = await stack.request("POST", "/auth/step-up", { token, body: { method: "phone", code: "phone-13800000001#again" } });
  assert.equal(right.status, 200, right.text);
  assert.equal((await withdraw(token)).status, 200);
});

test("a step-up belongs to its session: gone with it, never on the user's other sessions", async () => {
  const a = (await stack.login("su-dan")).body;
  const b = (await stack.login("su-dan")).body;
  const challenge = (await stack.request("POST", "/auth/step-up/challenge", { token: a.token })).body.challenge;
  assert.equal((await stack.request("POST", "/auth/step-up", { token: a.token, body: soterResult(challenge) })).status, 200);
  assert.equal((await withdraw(b.token)).status, 403);
  await stack.request("POST", "/auth/logout", { token: a.token });
  const fields = Object.keys(await stack.redis.hgetall(`${stack.prefix}{u${a.user.id}}`));
  assert.deepEqual(
    fields.filter((f) => f.startsWith("e")),
    [],
    "the step-up went with its session",
  );
});
