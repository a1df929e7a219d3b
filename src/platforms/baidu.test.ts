import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exchangeBaiduCode } from "./baidu.js";
import { type FakePlatforms, startFakePlatforms } from "./fakeServer.js";
import { captureLog, refused, unavailable } from "./testLog.js";
import type { ExchangeOptions, SecretApp } from "./types.js";

const app1 = { platform: "baidu", appid: "4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c", secret: "baidu-sk-1", name: "Maps" } satisfies SecretApp;
const app2 = { platform: "baidu", appid: "WPGsbTTGEQ2VRnNcEIjyo5nT1wGxc3PZ", secret: "baidu-sk-2", name: "Notes" } satisfies SecretApp;
let fake: FakePlatforms;
let opts: ExchangeOptions;

before(async () => {
  fake = await startFakePlatforms({ apps: [app1, app2] });
  opts = { apiBase: fake.apiBase("baidu"), timeoutMs: 500, retries: 2, backoffMs: 5 };
});
after(() => fake.close());

test("a code gives the person's openid in this app and the session_key; Baidu gives no unionid", async () => {
  const { log } = captureLog();
  const inMaps = await exchangeBaiduCode(app1, "alice", log, opts);
  const inNotes = await exchangeBaiduCode(app2, "alice#2", log, opts);
  const again = await exchangeBaiduCode(app1, "alice#3", log, opts);
  assert.equal(inMaps.openid, fake.openidFor("baidu", app1.appid, "alice"));
  assert.equal(again.openid, inMaps.openid, "one person, one openid per app");
  assert.notEqual(inNotes.openid, inMaps.openid, "an openid is per app");
  assert.equal(inMaps.unionid, null);
  assert.equal(inNotes.unionid, null);
  assert.match(inMaps.sessionKey ?? "", /^[0-9a-f]{32}$/);
});

test("an answer in error form (invalid_grant, or any error but the client's) is a refused code: 401", async () => {
  const { log } = captureLog();
  fake.script("baidu", "forged", { error: "invalid_grant" });
  await assert.rejects(exchangeBaiduCode(app1, "forged", log, opts), refused);
  fake.script("baidu", "odd", { error: "parameter is invalid" });
  await assert.rejects(exchangeBaiduCode(app1, "odd", log, opts), refused);
  await exchangeBaiduCode(app1, "bob", log, opts);
  await assert.rejects(exchangeBaiduCode(app1, "bob", log, opts), refused);
});

test("a wrong sk (invalid_client) is a 502 and an error log naming the app, never its sk", async () => {
  const { log, lines } = captureLog();
  await assert.rejects(exchangeBaiduCode({ ...app1, secret: "not-the-sk" }, "carol", log, opts), unavailable);
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.appid, app1.appid);
  assert.equal(errors[0]?.app, "Maps");
  assert.equal(errors[0]?.error, "invalid_client");
  assert.ok(!JSON.stringify(lines).includes("not-the-sk"));
});

test("an HTTP 500 is retried then a 502", async () => {
  const { log } = captureLog();
  fake.script("baidu", "dave", { status: 500 }, { status: 500 }, { status: 500 });
  await assert.rejects(exchangeBaiduCode(app1, "dave", log, opts), unavailable);
  assert.equal(fake.calls("baidu", "dave"), 3);
});

test("a timeout is a 502 and is never retried", async () => {
  const { log } = captureLog();
  fake.script("baidu", "erin", "timeout");
  await assert.rejects(exchangeBaiduCode(app1, "erin", log, { ...opts, timeoutMs: 200 }), unavailable);
  assert.equal(fake.calls("baidu", "erin"), 1);
});

test("a body that is not JSON, or JSON in neither form, is a 502", async () => {
  const { log, lines } = captureLog();
  fake.script("baidu", "frank", "badjson");
  await assert.rejects(exchangeBaiduCode(app1, "frank", log, opts), unavailable);
  assert.equal(fake.calls("baidu", "frank"), 1);
  fake.script("baidu", "grace", { error: "" });
  await assert.rejects(exchangeBaiduCode(app1, "grace", log, opts), unavailable);
  assert.ok(lines.some((l) => l.level === 40 && l.msg === "unexpected Baidu jscode2sessionkey answer"));
});
