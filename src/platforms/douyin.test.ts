import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exchangeDouyinCode } from "./douyin.js";
import { type FakePlatforms, startFakePlatforms } from "./fakeServer.js";
import { captureLog, refused, unavailable } from "./testLog.js";
import type { ExchangeOptions, SecretApp } from "./types.js";

const app1 = { platform: "douyin", appid: "tt0000000000000001", secret: "douyin-secret-1", name: "Shop" } satisfies SecretApp;
const app2 = { platform: "douyin", appid: "tt0000000000000002", secret: "douyin-secret-2", name: "Games" } satisfies SecretApp;
let fake: FakePlatforms;
let opts: ExchangeOptions;

before(async () => {
  fake = await startFakePlatforms({ apps: [app1, app2] });
  opts = { apiBase: fake.apiBase("douyin"), timeoutMs: 500, retries: 2, backoffMs: 5 };
});
after(() => fake.close());

test("a code gives the person's openid in this app, their unionid and the session_key", async () => {
  const { log } = captureLog();
  const inShop = await exchangeDouyinCode(app1, "alice", log, opts);
  const inGames = await exchangeDouyinCode(app2, "alice#2", log, opts);
  const bob = await exchangeDouyinCode(app1, "bob", log, opts);
  assert.equal(inShop.openid, fake.openidFor("douyin", app1.appid, "alice"));
  assert.equal(inGames.openid, fake.openidFor("douyin", app2.appid, "alice"));
  assert.notEqual(inShop.openid, inGames.openid, "an openid is per app");
  assert.equal(inShop.unionid, fake.unionidFor("douyin", "alice"));
  assert.equal(inGames.unionid, inShop.unionid, "the unionid is shared by the platform's apps");
  assert.notEqual(bob.unionid, inShop.unionid);
  assert.match(inShop.sessionKey ?? "", /^[A-Za-z0-9+/]{22}==$/);
});

test("an invalid code and a used code are refused as 401 LOGIN_CODE_INVALID", async () => {
  const { log } = captureLog();
  fake.script("douyin", "forged", { error: 40018 });
  await assert.rejects(exchangeDouyinCode(app1, "forged", log, opts), refused);
  await exchangeDouyinCode(app1, "carol", log, opts);
  await assert.rejects(exchangeDouyinCode(app1, "carol", log, opts), refused);
});

test("a wrong secret is a 502 and an error log naming the app, never its secret or the code", async () => {
  const { log, lines } = captureLog();
  const wrong = { ...app1, secret: "not-the-secret" };
  await assert.rejects(exchangeDouyinCode(wrong, "dave", log, opts), unavailable);
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.appid, app1.appid);
  assert.equal(errors[0]?.app, "Shop");
  const text = JSON.stringify(lines);
  assert.ok(!text.includes("not-the-secret") && !text.includes("dave"), text);
});

test("an HTTP 500 is retried: a later success stands, three failures are a 502", async () => {
  const { log, lines } = captureLog();
  fake.script("douyin", "erin", { status: 500 });
  const erin = await exchangeDouyinCode(app1, "erin", log, opts);
  assert.equal(erin.openid, fake.openidFor("douyin", app1.appid, "erin"));
  assert.equal(fake.calls("douyin", "erin"), 2);
  fake.script("douyin", "frank", { status: 500 }, { status: 502 }, { status: 503 });
  await assert.rejects(exchangeDouyinCode(app1, "frank", log, opts), unavailable);
  assert.equal(fake.calls("douyin", "frank"), 3);
  assert.deepEqual(
    lines.filter((l) => l.msg === "platform call failed").map((l) => [l.platform, l.attempt, l.reason]),
    [
      ["douyin", 0, "HTTP 500"],
      ["douyin", 0, "HTTP 500"],
      ["douyin", 1, "HTTP 502"],
      ["douyin", 2, "HTTP 503"],
    ],
  );
});

test("a timeout is a 502 and is never retried: the code may be spent", async () => {
  const { log } = captureLog();
  fake.script("douyin", "grace", "timeout");
  const started = Date.now();
  await assert.rejects(exchangeDouyinCode(app1, "grace", log, { ...opts, timeoutMs: 200 }), unavailable);
  assert.ok(Date.now() - started < 1500);
  assert.equal(fake.calls("douyin", "grace"), 1);
});

test("a body that is not JSON is a 502, not retried", async () => {
  const { log } = captureLog();
  fake.script("douyin", "heidi", "badjson");
  await assert.rejects(exchangeDouyinCode(app1, "heidi", log, opts), unavailable);
  assert.equal(fake.calls("douyin", "heidi"), 1);
});

test("an err_no nobody documented is a 502 with a warning; -1 is not retried", async () => {
  const { log, lines } = captureLog();
  fake.script("douyin", "ivan", { error: 12345 });
  await assert.rejects(exchangeDouyinCode(app1, "ivan", log, opts), unavailable);
  assert.ok(lines.some((l) => l.level === 40 && l.errNo === 12345));
  fake.script("douyin", "judy", { error: -1 });
  await assert.rejects(exchangeDouyinCode(app1, "judy", log, opts), unavailable);
  assert.equal(fake.calls("douyin", "judy"), 1);
});

test("each call is observed with its outcome", async () => {
  const { log } = captureLog();
  const seen: string[] = [];
  const observed = { ...opts, observe: (api: string, outcome: string) => seen.push(`${api}:${outcome}`) };
  await exchangeDouyinCode(app1, "kim", log, observed);
  await assert.rejects(exchangeDouyinCode(app1, "kim", log, observed), refused);
  assert.deepEqual(seen, ["jscode2session:ok", "jscode2session:40018"]);
});
