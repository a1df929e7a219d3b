/**
 * Logins from every platform through a real tongxing (PostgreSQL, Redis) against the fakes of
 * the platforms' servers: each platform's session, the union scopes that link identities and the
 * ones that never do, the errors, and WeChat's own routes refusing other platforms' sessions.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FakePlatforms } from "../src/platforms/fakeServer.js";
import { APPS, startPlatformStack } from "./platformStack.js";
import { APPID, codeFor, type Stack } from "./support.js";

const SERVICE_TOKEN = "s".repeat(40);

let stack: Stack;
let fakes: FakePlatforms;
let stop: () => Promise<void> = async () => {};

before(async () => {
  ({ stack, fakes, stop } = await startPlatformStack({ SERVICE_TOKEN }));
});

after(() => stop());

type Named = keyof typeof APPS;
const login = (app: Named, code: string) => stack.request("POST", "/auth/login", { body: { code, appid: APPS[app].appid } });

describe("a login on each platform", () => {
  for (const name of ["douyin", "alipay", "qq", "baidu", "kuaishou"] as const) {
    test(`${name}: a session of that platform, its openid to the gateway, the same answer as WeChat's`, async () => {
      const code = codeFor(`p-${name}`);
      const res = await login(name, code);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ["expiresAt", "isNewUser", "token", "user"]);
      assert.equal(res.body.isNewUser, true);
      const session = await stack.request("GET", "/auth/session", { token: res.body.token });
      assert.deepEqual([session.body.appid, session.body.platform], [APPS[name].appid, name]);
      const verify = await stack.request("GET", "/auth/verify", {
        token: res.body.token,
        headers: { "X-Tongxing-Service-Token": SERVICE_TOKEN },
      });
      assert.equal(verify.headers.get("x-tongxing-platform"), name);
      assert.equal(verify.body.openid, fakes.openidFor(name, APPS[name].appid, code));
      assert.equal(verify.body.unionid, fakes.unionidFor(name, code));
      const row = await stack.running.deps.prisma.identity.findFirstOrThrow({ where: { userId: res.body.user.id } });
      assert.deepEqual([row.platform, row.appid], [name, APPS[name].appid]);
    });
  }

  test("WeChat logins go on as before, as the wechat platform", async () => {
    const res = await stack.login("p-wechat", { appid: APPID });
    assert.equal(res.status, 200, res.text);
    const session = await stack.request("GET", "/auth/session", { token: res.body.token });
    assert.equal(session.body.platform, "wechat");
  });
});

describe("union scopes", () => {
  test("two Douyin apps of one person are one user (Douyin's unionid)", async () => {
    const first = await login("douyin", codeFor("p-dy-both"));
    const second = await login("douyin2", codeFor("p-dy-both"));
    assert.equal(second.status, 200, second.text);
    assert.deepEqual([second.body.user.id, second.body.isNewUser], [first.body.user.id, false]);
  });

  test("a WeChat unionid never matches a Douyin one, even when the strings are equal", async () => {
    const douyinCode = codeFor("p-same-string");
    const douyin = await login("douyin", douyinCode);
    const shared = fakes.unionidFor("douyin", douyinCode);
    assert.ok(shared);
    const wechatCode = codeFor("p-same-string-wx");
    stack.fake.script(wechatCode, { openid: "o-same-string-wx", session_key: "tiihtNczf5v6AKRyjwEUhQ==", unionid: shared });
    const wechat = await stack.request("POST", "/auth/login", { body: { code: wechatCode, appid: APPID } });
    assert.equal(wechat.status, 200, wechat.text);
    assert.equal(wechat.body.isNewUser, true);
    assert.notEqual(wechat.body.user.id, douyin.body.user.id);
  });
});

describe("errors", () => {
  test("a refused code → 401 LOGIN_CODE_INVALID on each platform; the WeChat code keeps its name", async () => {
    for (const name of ["douyin", "alipay", "qq", "baidu", "kuaishou"] as const) {
      const code = codeFor(`p-used-${name}`);
      assert.equal((await login(name, code)).status, 200);
      // Another client: the same one would get its first answer again (LOGIN_REPLAY_WINDOW).
      const again = await stack.request("POST", "/auth/login", {
        body: { code, appid: APPS[name].appid },
        headers: { "user-agent": "another-client" },
      });
      assert.equal(again.status, 401, `${name}: ${again.text}`);
      assert.equal(again.body.error.code, "LOGIN_CODE_INVALID", name);
    }
    const code = codeFor("p-used-wechat");
    assert.equal((await stack.request("POST", "/auth/login", { body: { code, appid: APPID } })).status, 200);
    const again = await stack.request("POST", "/auth/login", { body: { code, appid: APPID }, headers: { "user-agent": "another-client" } });
    assert.deepEqual([again.status, again.body.error.code], [401, "WECHAT_CODE_INVALID"]);
  });

  test("a platform failing → 502 PLATFORM_UNAVAILABLE; a timed-out exchange is not retried with the same code", async () => {
    const broken = codeFor("p-broken");
    fakes.script("qq", broken, { status: 500 }, { status: 500 }, { status: 500 });
    const res = await login("qq", broken);
    assert.deepEqual([res.status, res.body.error.code], [502, "PLATFORM_UNAVAILABLE"]);
    const slow = codeFor("p-slow");
    fakes.script("douyin", slow, "timeout");
    const timedOut = await login("douyin", slow);
    assert.deepEqual([timedOut.status, timedOut.body.error.code], [502, "PLATFORM_UNAVAILABLE"]);
    assert.equal(fakes.calls("douyin", slow), 1);
  });

  test("an Alipay answer whose signature does not verify is refused: 502, nobody logged in", async () => {
    const code = codeFor("p-forged");
    fakes.script("alipay", code, "badSignature");
    const before = await stack.running.deps.prisma.user.count();
    const res = await login("alipay", code);
    assert.deepEqual([res.status, res.body.error.code], [502, "PLATFORM_UNAVAILABLE"]);
    assert.equal(await stack.running.deps.prisma.user.count(), before);
  });

  test("logins are counted by platform", async () => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    assert.match(text, /tongxing_logins_total\{platform="douyin",outcome="new_user"\} [1-9]/);
    assert.match(text, /tongxing_logins_total\{platform="qq",outcome="PLATFORM_UNAVAILABLE"\} 1/);
    assert.match(text, /tongxing_login_duration_seconds_count\{platform="kuaishou"\} [1-9]/);
  });
});

describe("WeChat's own routes", () => {
  test("refuse another platform's session with 400 WRONG_PLATFORM", async () => {
    const { body } = await login("douyin", codeFor("p-wrong"));
    const routes: [string, string, unknown][] = [
      ["POST", "/wechat/decrypt", { encryptedData: "x", iv: "y" }],
      ["POST", "/wechat/verify-signature", { rawData: "{}", signature: "0".repeat(40) }],
      ["GET", "/wechat/session", undefined],
      ["POST", "/me/phone", { code: "phone-13800000000" }],
    ];
    for (const [method, path, payload] of routes) {
      const res = await stack.request(method, path, { token: body.token, body: payload });
      assert.deepEqual([res.status, res.body.error.code], [400, "WRONG_PLATFORM"], `${method} ${path}: ${res.text}`);
    }
  });
});
