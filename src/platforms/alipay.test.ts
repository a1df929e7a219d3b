import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { alipaySigningString, alipayTimestamp, exchangeAlipayCode, responseText, rsa2Sign, rsa2Verify } from "./alipay.js";
import { type FakePlatforms, generateRsaKeyPair, type RsaKeyPair, startFakePlatforms } from "./fakeServer.js";
import { captureLog, refused, unavailable } from "./testLog.js";
import type { AlipayApp, ExchangeOptions } from "./types.js";

// Each app has its own key pair, and Alipay one per app (an app's "Alipay public key").
type Keys = RsaKeyPair;
const appKeys1 = generateRsaKeyPair();
const appKeys2 = generateRsaKeyPair();
const alipayKeys1 = generateRsaKeyPair();
const alipayKeys2 = generateRsaKeyPair();
const strangerKeys = generateRsaKeyPair();
const app = (appid: string, name: string, keys = appKeys1, alipay = alipayKeys1): AlipayApp => ({
  platform: "alipay",
  appid,
  name,
  privateKey: keys.privateKey,
  alipayPublicKey: alipay.publicKey,
});
const app1 = app("2021000000000001", "Wallet");
const app2 = app("2021000000000002", "Tickets", appKeys2, alipayKeys2);
const userIdOnly = app("2021000000000003", "Legacy");
const openIdOnly = app("2021000000000004", "Newer");
let fake: FakePlatforms;
let opts: ExchangeOptions;

before(async () => {
  const known = (a: AlipayApp, keys: Keys, alipay: Keys, ids?: "open_id" | "user_id") => ({
    platform: "alipay" as const,
    appid: a.appid,
    appPublicKey: keys.publicKey,
    alipayPrivateKey: alipay.privateKey,
    ids,
  });
  fake = await startFakePlatforms({
    apps: [
      known(app1, appKeys1, alipayKeys1),
      known(app2, appKeys2, alipayKeys2),
      known(userIdOnly, appKeys1, alipayKeys1, "user_id"),
      known(openIdOnly, appKeys1, alipayKeys1, "open_id"),
    ],
  });
  opts = { apiBase: fake.apiBase("alipay"), timeoutMs: 500, retries: 2, backoffMs: 5 };
});
after(() => fake.close());

test("timestamp: yyyy-MM-dd HH:mm:ss in Beijing time, whatever the machine's zone", () => {
  const tz = process.env.TZ;
  process.env.TZ = "America/Los_Angeles";
  try {
    assert.equal(alipayTimestamp(new Date("2024-01-31T16:30:05.999Z")), "2024-02-01 00:30:05");
    assert.equal(alipayTimestamp(new Date("2024-07-01T03:04:05Z")), "2024-07-01 11:04:05");
  } finally {
    process.env.TZ = tz;
  }
});

test("the signing string: non-empty params but sign, sorted by name, k=v joined by &", () => {
  const params = { timestamp: "2024-02-01 00:30:05", app_id: "1", sign: "x", code: "", sign_type: "RSA2", method: "m" };
  assert.equal(alipaySigningString(params), "app_id=1&method=m&sign_type=RSA2&timestamp=2024-02-01 00:30:05");
  const sign = rsa2Sign("text", appKeys1.privateKey);
  assert.ok(rsa2Verify("text", sign, appKeys1.publicKey));
  assert.ok(!rsa2Verify("text ", sign, appKeys1.publicKey));
});

test("responseText cuts the object's exact text, through whitespace, escapes and braces in strings", () => {
  const inner = '{ "a": "x\\"}{", "b": {"c": [1, {"d": "\\\\"}]}, "e": "\\u6388" }';
  assert.equal(responseText(`{"sign":"s", "r" :\n ${inner} }`, "r"), inner);
  assert.equal(responseText(`{"r":${inner},"sign":"s"}`, "r"), inner);
  assert.equal(responseText('{"r": "not an object"}', "r"), undefined);
  assert.equal(responseText('{"r": {"open": "unterminated"', "r"), undefined);
});

test("open_id is preferred as the openid; user_id is the unionid, shared across apps; no session_key", async () => {
  const { log } = captureLog();
  const inWallet = await exchangeAlipayCode(app1, "alice", log, opts);
  const inTickets = await exchangeAlipayCode(app2, "alice#2", log, opts);
  assert.equal(inWallet.openid, fake.openidFor("alipay", app1.appid, "alice"));
  assert.equal(inTickets.openid, fake.openidFor("alipay", app2.appid, "alice"));
  assert.notEqual(inWallet.openid, inTickets.openid);
  assert.match(inWallet.unionid ?? "", /^2088\d{12}$/);
  assert.equal(inWallet.unionid, fake.unionidFor("alipay", "alice"));
  assert.equal(inTickets.unionid, inWallet.unionid);
  assert.equal(inWallet.sessionKey, null);
});

test("user_id is the openid when there is no open_id; an open_id alone gives no unionid", async () => {
  const { log } = captureLog();
  const legacy = await exchangeAlipayCode(userIdOnly, "bob", log, opts);
  assert.equal(legacy.openid, fake.unionidFor("alipay", "bob"));
  assert.equal(legacy.unionid, legacy.openid);
  const newer = await exchangeAlipayCode(openIdOnly, "bob#2", log, opts);
  assert.equal(newer.openid, fake.openidFor("alipay", openIdOnly.appid, "bob"));
  assert.equal(newer.unionid, null);
});

test("an invalid code (isv.code-invalid, signed) and a used code are refused as 401", async () => {
  const { log } = captureLog();
  fake.script("alipay", "forged", { error: "isv.code-invalid" });
  await assert.rejects(exchangeAlipayCode(app1, "forged", log, opts), refused);
  await exchangeAlipayCode(app1, "carol", log, opts);
  await assert.rejects(exchangeAlipayCode(app1, "carol", log, opts), refused);
});

test("a request signed with the wrong private key is refused by Alipay: 502, an error log naming the app, no key", async () => {
  const { log, lines } = captureLog();
  await assert.rejects(exchangeAlipayCode({ ...app1, privateKey: strangerKeys.privateKey }, "dave", log, opts), unavailable);
  const errors = lines.filter((l) => l.level === 50);
  assert.deepEqual(
    errors.map((l) => [l.appid, l.app, l.subCode]),
    [[app1.appid, "Wallet", "isv.invalid-signature"]],
  );
  const text = JSON.stringify(lines);
  assert.ok(!text.includes("PRIVATE KEY") && !text.includes(strangerKeys.privateKey.slice(40, 80)));
  assert.ok(!text.includes("dave"), "the code is not logged");
});

test("a key that cannot sign is an error log and a 502 without calling Alipay", async () => {
  const { log, lines } = captureLog();
  await assert.rejects(exchangeAlipayCode({ ...app1, privateKey: "not a key" }, "erin", log, opts), unavailable);
  assert.equal(fake.calls("alipay", "erin"), 0);
  assert.ok(lines.some((l) => l.level === 50 && l.app === "Wallet"));
});

test("an answer whose signature does not verify is refused: 502 with an error log", async () => {
  const { log, lines } = captureLog();
  fake.script("alipay", "frank", "badSignature");
  await assert.rejects(exchangeAlipayCode(app1, "frank", log, opts), unavailable);
  const wrongKey = { ...app1, alipayPublicKey: alipayKeys2.publicKey };
  await assert.rejects(exchangeAlipayCode(wrongKey, "frank#2", log, opts), unavailable);
  assert.equal(lines.filter((l) => l.level === 50 && l.appid === app1.appid).length, 2);
});

test("an unsigned error_response (an appid Alipay does not know) is still an error: 502, logged", async () => {
  const { log, lines } = captureLog();
  await assert.rejects(exchangeAlipayCode({ ...app1, appid: "2021999999999999" }, "grace", log, opts), unavailable);
  assert.ok(lines.some((l) => l.level === 50 && l.subCode === "isv.invalid-app-id"));
});

test("20000 (busy) and HTTP 5xx are retried; three failures are a 502", async () => {
  const { log } = captureLog();
  fake.script("alipay", "heidi", { error: "isp.unknow-error" });
  const heidi = await exchangeAlipayCode(app1, "heidi", log, opts);
  assert.equal(heidi.openid, fake.openidFor("alipay", app1.appid, "heidi"));
  assert.equal(fake.calls("alipay", "heidi"), 2);
  fake.script("alipay", "ivan", { status: 500 }, { status: 502 }, { status: 500 });
  await assert.rejects(exchangeAlipayCode(app1, "ivan", log, opts), unavailable);
  assert.equal(fake.calls("alipay", "ivan"), 3);
});

test("a timeout is a 502 and is never retried; so is a body that is not JSON", async () => {
  const { log } = captureLog();
  fake.script("alipay", "judy", "timeout");
  await assert.rejects(exchangeAlipayCode(app1, "judy", log, { ...opts, timeoutMs: 200 }), unavailable);
  assert.equal(fake.calls("alipay", "judy"), 1);
  fake.script("alipay", "kim", "badjson");
  await assert.rejects(exchangeAlipayCode(app1, "kim", log, opts), unavailable);
  assert.equal(fake.calls("alipay", "kim"), 1);
});
