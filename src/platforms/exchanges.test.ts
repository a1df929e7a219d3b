import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { DEFAULT_API_BASES, exchangeFor, type OtherPlatform } from "./exchanges.js";
import { type FakePlatforms, generateRsaKeyPair, startFakePlatforms } from "./fakeServer.js";
import type { App, ExchangeOptions } from "./types.js";

const log = pino({ level: "silent" });
let devFake: FakePlatforms;

// Dev mode: any appid is an app, codes can be used again and again.
before(async () => {
  devFake = await startFakePlatforms({ anyAppid: true, reusableCodes: true });
});
after(() => devFake.close());

const opts = (platform: OtherPlatform): ExchangeOptions => ({ apiBase: devFake.apiBase(platform), timeoutMs: 1000, backoffMs: 5 });

function devApp(platform: OtherPlatform, appid: string): App {
  if (platform !== "alipay") return { platform, appid, secret: "anything", name: appid };
  return { platform, appid, name: appid, privateKey: generateRsaKeyPair().privateKey, alipayPublicKey: devFake.alipayPublicKey };
}

test("every platform but WeChat has its exchange and its production API base", () => {
  assert.throws(() => exchangeFor("wechat"), /src\/wechat/);
  for (const platform of ["douyin", "alipay", "qq", "baidu", "kuaishou"] as const) {
    assert.equal(typeof exchangeFor(platform), "function");
    assert.match(DEFAULT_API_BASES[platform], /^https:\/\/[a-z.]+(\/gateway\.do)?$/);
  }
});

test("an exchange given another platform's app throws: a wiring bug, not a refused code", async () => {
  await assert.rejects(
    exchangeFor("douyin")(devApp("qq", "1"), "alice", log, opts("douyin")),
    /a qq app was given to the douyin code exchange/,
  );
});

test("dev mode: any appid is an app, a code may be used again, the same person keeps one openid", async () => {
  for (const platform of ["douyin", "alipay", "qq", "baidu", "kuaishou"] as const) {
    const exchange = exchangeFor(platform);
    const app = devApp(platform, `${platform}-dev-app`);
    const first = await exchange(app, "alice", log, opts(platform));
    const again = await exchange(app, "alice", log, opts(platform));
    assert.equal(first.openid, devFake.openidFor(platform, app.appid, "alice"), platform);
    assert.equal(again.openid, first.openid, platform);
    assert.equal(first.unionid, devFake.unionidFor(platform, "alice"), platform);
  }
});
