import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type FakePlatforms, startFakePlatforms } from "./fakeServer.js";
import { exchangeKuaishouCode } from "./kuaishou.js";
import { captureLog, refused, unavailable } from "./testLog.js";
import type { ExchangeOptions, SecretApp } from "./types.js";

const app1 = { platform: "kuaishou", appid: "ks000000000000000001", secret: "ks-secret-1", name: "Clips" } satisfies SecretApp;
const app2 = { platform: "kuaishou", appid: "ks000000000000000002", secret: "ks-secret-2", name: "Live" } satisfies SecretApp;
let fake: FakePlatforms;
let opts: ExchangeOptions;

before(async () => {
  fake = await startFakePlatforms({ apps: [app1, app2] });
  opts = { apiBase: fake.apiBase("kuaishou"), timeoutMs: 500, retries: 2, backoffMs: 5 };
});
after(() => fake.close());

test("a code gives the person's open_id in this app and the session_key; no unionid", async () => {
  const { log } = captureLog();
  const inClips = await exchangeKuaishouCode(app1, "alice", log, opts);
  const inLive = await exchangeKuaishouCode(app2, "alice#2", log, opts);
  assert.equal(inClips.openid, fake.openidFor("kuaishou", app1.appid, "alice"));
  assert.equal(inLive.openid, fake.openidFor("kuaishou", app2.appid, "alice"));
  assert.notEqual(inClips.openid, inLive.openid);
  assert.equal(inClips.unionid, null);
  assert.match(inClips.sessionKey ?? "", /^[A-Za-z0-9+/]{22}==$/);
});

test("a result other than 1 and the credentials' is a refused code: invalid, used", async () => {
  const { log } = captureLog();
  fake.script("kuaishou", "forged", { error: 100200100 });
  await assert.rejects(exchangeKuaishouCode(app1, "forged", log, opts), refused);
  await exchangeKuaishouCode(app1, "bob", log, opts);
  await assert.rejects(exchangeKuaishouCode(app1, "bob", log, opts), refused);
});

test("a wrong app_secret (100200101) is a 502 and an error log naming the app, never its secret", async () => {
  const { log, lines } = captureLog();
  await assert.rejects(exchangeKuaishouCode({ ...app2, secret: "not-the-secret" }, "carol", log, opts), unavailable);
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.appid, app2.appid);
  assert.equal(errors[0]?.app, "Live");
  assert.equal(errors[0]?.result, 100200101);
  assert.ok(!JSON.stringify(lines).includes("not-the-secret"));
});

test("an HTTP 500 is retried then a 502", async () => {
  const { log } = captureLog();
  fake.script("kuaishou", "dave", { status: 500 }, { status: 503 }, { status: 500 });
  await assert.rejects(exchangeKuaishouCode(app1, "dave", log, opts), unavailable);
  assert.equal(fake.calls("kuaishou", "dave"), 3);
});

test("a timeout is a 502 and is never retried", async () => {
  const { log } = captureLog();
  fake.script("kuaishou", "erin", "timeout");
  await assert.rejects(exchangeKuaishouCode(app1, "erin", log, { ...opts, timeoutMs: 200 }), unavailable);
  assert.equal(fake.calls("kuaishou", "erin"), 1);
});

test("a body that is not JSON is a 502, not retried", async () => {
  const { log } = captureLog();
  fake.script("kuaishou", "frank", "badjson");
  await assert.rejects(exchangeKuaishouCode(app1, "frank", log, opts), unavailable);
  assert.equal(fake.calls("kuaishou", "frank"), 1);
});
