import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../config/config.js";

const pair = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
const app = pair();
const alipay = pair();

const APPS = [
  { platform: "wechat", appid: "wx1111111111111111", secret: "wechat-secret", name: "shop" },
  { platform: "douyin", appid: "tt0123456789abcdef", secret: "douyin-secret" },
  { platform: "alipay", appid: "2021000000000001", privateKey: app.privateKey, alipayPublicKey: alipay.publicKey },
  { platform: "qq", appid: "1109000001", secret: "qq-secret" },
  { platform: "baidu", appid: "AbCdEf0123456789AbCdEf0123456789", secret: "baidu-sk" },
  { platform: "kuaishou", appid: "ks671234567890", secret: "ks-secret" },
];

/** The ConfigError's message for this environment. */
function problem(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail("expected a ConfigError");
}

test("APPS: one app per platform, the primary first, names defaulting to the appid", () => {
  const c = loadConfig({ APPS: JSON.stringify(APPS) });
  assert.equal(c.devMode, false);
  assert.deepEqual(
    c.apps.map((a) => [a.platform, a.appid, a.name]),
    APPS.map((a) => [a.platform, a.appid, a.name ?? a.appid]),
  );
  const ali = c.apps.find((a) => a.platform === "alipay");
  assert.ok(ali?.platform === "alipay" && ali.privateKey.includes("BEGIN PRIVATE KEY"));
  assert.deepEqual(c.platforms.apiBases, {
    douyin: "https://developer.toutiao.com",
    alipay: "https://openapi.alipay.com/gateway.do",
    qq: "https://api.q.qq.com",
    baidu: "https://spapi.baidu.com",
    kuaishou: "https://open.kuaishou.com",
  });
});

test("each platform's API base can be pointed elsewhere", () => {
  const c = loadConfig({
    APPS: JSON.stringify(APPS),
    DOUYIN_API_BASE: "http://127.0.0.1:9/dy/",
    ALIPAY_GATEWAY: "http://127.0.0.1:9/gateway.do",
    QQ_API_BASE: "http://127.0.0.1:9/qq",
    BAIDU_API_BASE: "http://127.0.0.1:9/bd",
    KUAISHOU_API_BASE: "http://127.0.0.1:9/ks",
  });
  assert.deepEqual(c.platforms.apiBases, {
    douyin: "http://127.0.0.1:9/dy",
    alipay: "http://127.0.0.1:9/gateway.do",
    qq: "http://127.0.0.1:9/qq",
    baidu: "http://127.0.0.1:9/bd",
    kuaishou: "http://127.0.0.1:9/ks",
  });
});

test("APPS with WECHAT_APPS or WECHAT_APPID/WECHAT_SECRET is a start error naming the variables", () => {
  const apps = JSON.stringify(APPS);
  assert.match(
    problem({ APPS: apps, WECHAT_APPID: "wx1111111111111111", WECHAT_SECRET: "s" }),
    /APPS and WECHAT_APPS or WECHAT_APPID\/WECHAT_SECRET/,
  );
  assert.match(problem({ APPS: apps, WECHAT_APPS: "[]" }), /APPS and WECHAT_APPS/);
});

test("a bad entry is named by its path and no value is echoed", () => {
  const withEntry = (i: number, entry: Record<string, unknown>) => {
    const list: Record<string, unknown>[] = APPS.map((a) => ({ ...a }));
    list[i] = entry;
    return JSON.stringify(list);
  };
  const badKey = "-----BEGIN PRIVATE KEY-----\nnot-a-key-at-all\n-----END PRIVATE KEY-----";
  const message = problem({ APPS: withEntry(2, { ...APPS[2], privateKey: badKey }) });
  assert.match(message, /APPS\[2\]\.privateKey: must be an RSA private key in PKCS#8 PEM/);
  assert.ok(!message.includes("not-a-key-at-all"));
  assert.match(
    problem({ APPS: withEntry(2, { ...APPS[2], alipayPublicKey: "nope" }) }),
    /APPS\[2\]\.alipayPublicKey: must be a public key in PEM/,
  );
  assert.match(
    problem({ APPS: withEntry(1, { platform: "wechat", appid: "tt0123456789abcdef", secret: "x" }) }),
    /APPS\[1\]\.appid: must be wx/,
  );
  assert.match(problem({ APPS: withEntry(4, { platform: "baidu", appid: "bd1" }) }), /APPS\[4\]\.secret/);
  const unknown = problem({ APPS: withEntry(3, { platform: "line", appid: "x", secret: "hush-hush" }) });
  assert.match(unknown, /APPS\[3\]\.platform: must be one of wechat, douyin, alipay, qq, baidu, kuaishou/);
  assert.ok(!unknown.includes("hush-hush"));
  // An Alipay app takes keys, not a secret.
  assert.match(problem({ APPS: withEntry(2, { ...APPS[2], secret: "x" }) }), /APPS\[2\]/);
  const twice = problem({ APPS: withEntry(5, { ...APPS[0], platform: "wechat" }) });
  assert.match(twice, /APPS: lists an appid twice/);
  const notJson = problem({ APPS: "[{platform: wechat, secret: hush}" });
  assert.match(notJson, /APPS: must be a JSON array/);
  assert.ok(!notJson.includes("hush"));
});

test("dev mode has an app on every platform but Alipay's (its keys are made at start)", () => {
  const c = loadConfig({});
  assert.equal(c.devMode, true);
  assert.deepEqual([...new Set(c.apps.map((a) => a.platform))].sort(), ["baidu", "douyin", "kuaishou", "qq", "wechat"]);
  assert.equal(c.apps[0]?.platform, "wechat");
});
