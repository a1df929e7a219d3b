import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type FakePlatforms, startFakePlatforms } from "./fakeServer.js";
import { exchangeQqCode } from "./qq.js";
import { captureLog, refused, unavailable } from "./testLog.js";
import type { ExchangeOptions, SecretApp } from "./types.js";

const app1 = { platform: "qq", appid: "1110000001", secret: "qq-secret-1", name: "Reader" } satisfies SecretApp;
const app2 = { platform: "qq", appid: "1110000002", secret: "qq-secret-2", name: "Writer" } satisfies SecretApp;
let fake: FakePlatforms;
let opts: ExchangeOptions;

before(async () => {
  fake = await startFakePlatforms({ apps: [app1, app2] });
  opts = { apiBase: fake.apiBase("qq"), timeoutMs: 500, retries: 2, backoffMs: 5 };
});
after(() => fake.close());

test("a code gives the person's openid in this app, their unionid and the session_key", async () => {
  const { log } = captureLog();
  const inReader = await exchangeQqCode(app1, "alice", log, opts);
  const inWriter = await exchangeQqCode(app2, "alice#2", log, opts);
  assert.equal(inReader.openid, fake.openidFor("qq", app1.appid, "alice"));
  assert.equal(inWriter.openid, fake.openidFor("qq", app2.appid, "alice"));
  assert.notEqual(inReader.openid, inWriter.openid);
  assert.equal(inReader.unionid, fake.unionidFor("qq", "alice"));
  assert.equal(inWriter.unionid, inReader.unionid);
  assert.notEqual(inReader.unionid, fake.unionidFor("douyin", "alice"), "QQ's unionids are QQ's own");
  assert.match(inReader.sessionKey ?? "", /^[A-Za-z0-9+/]{22}==$/);
});

test("an invalid code (40029), a used one and 40163 are refused as 401", async () => {
  const { log } = captureLog();
  fake.script("qq", "forged", { error: 40029 });
  await assert.rejects(exchangeQqCode(app1, "forged", log, opts), refused);
  fake.script("qq", "spent", { error: 40163 });
  await assert.rejects(exchangeQqCode(app1, "spent", log, opts), refused);
  await exchangeQqCode(app1, "bob", log, opts);
  await assert.rejects(exchangeQqCode(app1, "bob", log, opts), refused);
});

test("a wrong secret (40125) or appid (40013) is a 502 and an error log naming the app, never its secret", async () => {
  const { log, lines } = captureLog();
  await assert.rejects(exchangeQqCode({ ...app2, secret: "not-the-secret" }, "carol", log, opts), unavailable);
  await assert.rejects(exchangeQqCode({ ...app2, appid: "1119999999" }, "carol#2", log, opts), unavailable);
  const errors = lines.filter((l) => l.level === 50);
  assert.deepEqual(
    errors.map((l) => [l.app, l.errcode]),
    [
      ["Writer", 40125],
      ["Writer", 40013],
    ],
  );
  assert.equal(errors[0]?.appid, app2.appid);
  assert.ok(!JSON.stringify(lines).includes("not-the-secret"));
  assert.ok(!JSON.stringify(lines).includes("qq-secret-2"));
});

test("-1 (busy) is retried as QQ's doc asks; a 500 too, then a 502", async () => {
  const { log } = captureLog();
  fake.script("qq", "dave", { error: -1 });
  const dave = await exchangeQqCode(app1, "dave", log, opts);
  assert.equal(dave.openid, fake.openidFor("qq", app1.appid, "dave"));
  assert.equal(fake.calls("qq", "dave"), 2);
  fake.script("qq", "erin", { error: -1 }, { error: -1 }, { error: -1 });
  await assert.rejects(exchangeQqCode(app1, "erin", log, opts), unavailable);
  assert.equal(fake.calls("qq", "erin"), 3);
  fake.script("qq", "frank", { status: 500 }, { status: 500 }, { status: 500 });
  await assert.rejects(exchangeQqCode(app1, "frank", log, opts), unavailable);
  assert.equal(fake.calls("qq", "frank"), 3);
});

test("a timeout is a 502 and is never retried", async () => {
  const { log } = captureLog();
  fake.script("qq", "grace", "timeout");
  await assert.rejects(exchangeQqCode(app1, "grace", log, { ...opts, timeoutMs: 200 }), unavailable);
  assert.equal(fake.calls("qq", "grace"), 1);
});

test("a body that is not JSON, or an errcode nobody documented, is a 502", async () => {
  const { log, lines } = captureLog();
  fake.script("qq", "heidi", "badjson");
  await assert.rejects(exchangeQqCode(app1, "heidi", log, opts), unavailable);
  assert.equal(fake.calls("qq", "heidi"), 1);
  fake.script("qq", "ivan", { error: 45011 });
  await assert.rejects(exchangeQqCode(app1, "ivan", log, opts), unavailable);
  assert.ok(lines.some((l) => l.level === 40 && l.errcode === 45011));
});
