/**
 * WeChat data APIs over HTTP: decrypt (with watermark checks and stale keys), rawData
 * signatures, checkSession, the phone number, and the shared access_token.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { WECHAT_SAMPLE, wechatEncrypt } from "./fixtures/wechatData.js";
import { APPID, codeFor, dumpRedis, SECRET, type Stack, startStack } from "./support.js";

let stack: Stack;
before(async () => {
  stack = await startStack({}, { tokenDelayMs: 50, apiDelayMs: 150 });
});
after(() => stack.stop());

/** Logs in and returns the token with the session_key WeChat gave that login. */
async function login(user: string) {
  const code = codeFor(user);
  const res = await stack.request("POST", "/auth/login", { body: { code } });
  assert.equal(res.status, 200, res.text);
  const openid = stack.fake.openidFor(code);
  return {
    token: res.body.token as string,
    userId: res.body.user.id as number,
    openid,
    sessionKey: stack.fake.sessionKeys.get(openid) as string,
  };
}

const now = () => Math.floor(Date.now() / 1000);
const decrypt = (token: string, body: unknown) => stack.request("POST", "/wechat/decrypt", { token, body });

describe("POST /wechat/decrypt", () => {
  test("decrypts data encrypted with the session's session_key", async () => {
    const s = await login("ann");
    const payload = { openId: s.openid, stepInfoList: [{ timestamp: 1, step: 9000 }], watermark: { appid: APPID, timestamp: now() } };
    const res = await decrypt(s.token, wechatEncrypt(s.sessionKey, payload));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data, payload);
    assert.ok(!res.text.includes(s.sessionKey));
  });

  test("decrypts WeChat's published sample", async () => {
    const sample = await startStack({ WECHAT_WATERMARK_MAX_AGE: "0" }, { appid: WECHAT_SAMPLE.appid });
    try {
      sample.fake.script("sample-code", { openid: WECHAT_SAMPLE.openId, session_key: WECHAT_SAMPLE.sessionKey });
      const { body } = await sample.request("POST", "/auth/login", { body: { code: "sample-code" } });
      const res = await sample.request("POST", "/wechat/decrypt", {
        token: body.token,
        body: { encryptedData: WECHAT_SAMPLE.encryptedData, iv: WECHAT_SAMPLE.iv },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.nickName, "Band");
      assert.equal(res.body.data.openId, WECHAT_SAMPLE.openId);
    } finally {
      await sample.stop();
    }
  });

  test("each watermark failure (a timestamp up to 60 s ahead is clock skew, not a failure)", async () => {
    const s = await login("bo");
    const cases: [unknown, number, string | undefined][] = [
      [{ watermark: { appid: "wxOTHER", timestamp: now() } }, 400, "WATERMARK_MISMATCH"],
      [{ nowatermark: true }, 400, "WATERMARK_MISMATCH"],
      [{ openId: "o-someone-else", watermark: { appid: APPID, timestamp: now() } }, 400, "WATERMARK_MISMATCH"],
      [{ watermark: { appid: APPID, timestamp: now() - 86401 } }, 400, "WATERMARK_EXPIRED"],
      [{ watermark: { appid: APPID, timestamp: "yesterday" } }, 400, "WATERMARK_EXPIRED"],
      // From the future: more than the allowed clock skew (60 s) ahead is refused too.
      [{ watermark: { appid: APPID, timestamp: now() + 30 * 86400 } }, 400, "WATERMARK_EXPIRED"],
      [{ watermark: { appid: APPID, timestamp: now() + 120 } }, 400, "WATERMARK_EXPIRED"],
      [{ watermark: { appid: APPID, timestamp: now() + 30 } }, 200, undefined],
    ];
    for (const [payload, status, code] of cases) {
      const res = await decrypt(s.token, wechatEncrypt(s.sessionKey, payload));
      assert.equal(res.status, status, JSON.stringify(payload));
      assert.equal(res.body.error?.code, code, JSON.stringify(payload));
    }
  });

  test("tampered iv or ciphertext, bad base64 and wrong lengths → 400 DECRYPT_FAILED", async () => {
    const s = await login("cy");
    const good = wechatEncrypt(s.sessionKey, { openId: s.openid, watermark: { appid: APPID, timestamp: now() } });
    const flip = (b64: string, at: number) => {
      const b = Buffer.from(b64, "base64");
      b[at] = (b[at] as number) ^ 0xff;
      return b.toString("base64");
    };
    const ct = Buffer.from(good.encryptedData, "base64");
    for (const body of [
      { ...good, iv: flip(good.iv, 0) },
      { ...good, encryptedData: flip(good.encryptedData, ct.length - 1) },
      { ...good, encryptedData: "%%%not-base64%%%" },
      { ...good, iv: "AAAA" },
      { ...good, encryptedData: good.encryptedData.slice(0, 8) },
    ]) {
      const res = await decrypt(s.token, body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, "DECRYPT_FAILED");
    }
    assert.equal((await decrypt(s.token, { iv: good.iv })).body.error.code, "INVALID_REQUEST");
  });

  test("after a second login the first session's key is stale: 409 SESSION_KEY_STALE", async () => {
    const first = await login("di");
    const payload = { watermark: { appid: APPID, timestamp: now() } };
    const oldData = wechatEncrypt(first.sessionKey, payload);
    const second = await login("di");
    assert.notEqual(second.sessionKey, first.sessionKey);
    const stale = await decrypt(first.token, oldData);
    assert.equal(stale.status, 409, stale.text);
    assert.equal(stale.body.error.code, "SESSION_KEY_STALE");
    assert.equal((await decrypt(second.token, oldData)).body.error.code, "DECRYPT_FAILED", "the newest session has the newest key");
    assert.equal(
      (await decrypt(first.token, wechatEncrypt(second.sessionKey, payload))).status,
      200,
      "data under the newest key still opens",
    );
  });
});

describe("POST /wechat/verify-signature", () => {
  test("valid and invalid signatures", async () => {
    const s = await login("ed");
    const rawData = JSON.stringify({ nickName: "Ed 🐘", gender: 1 });
    const signature = createHash("sha1")
      .update(rawData + s.sessionKey)
      .digest("hex");
    const ok = await stack.request("POST", "/wechat/verify-signature", { token: s.token, body: { rawData, signature } });
    assert.deepEqual(ok.body, { valid: true });
    const bad = await stack.request("POST", "/wechat/verify-signature", { token: s.token, body: { rawData: `${rawData} `, signature } });
    assert.deepEqual(bad.body, { valid: false });
    const notHex = await stack.request("POST", "/wechat/verify-signature", { token: s.token, body: { rawData, signature: "zz" } });
    assert.equal(notHex.body.error.code, "INVALID_REQUEST");
  });
});

describe("GET /wechat/session", () => {
  test("valid for the newest login's key, invalid once a newer login replaced it", async () => {
    const first = await login("flo");
    assert.deepEqual((await stack.request("GET", "/wechat/session", { token: first.token })).body, { valid: true });
    const second = await login("flo");
    assert.deepEqual((await stack.request("GET", "/wechat/session", { token: first.token })).body, { valid: false });
    assert.deepEqual((await stack.request("GET", "/wechat/session", { token: second.token })).body, { valid: true });
    stack.fake.sessionKeys.set(second.openid, randomBytes(16).toString("base64"));
    assert.deepEqual((await stack.request("GET", "/wechat/session", { token: second.token })).body, { valid: false }, "WeChat's 87009");
  });
});

describe("POST /me/phone", () => {
  test("binds the phone number; invalid or reused codes are 400 PHONE_CODE_INVALID; WeChat down is 502", async () => {
    const s = await login("gil");
    const res = await stack.request("POST", "/me/phone", { token: s.token, body: { code: "phone-13800138000#gil" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.phone, "+8613800138000");
    assert.equal((await stack.request("GET", "/me", { token: s.token })).body.phone, "+8613800138000");
    for (const code of ["phone-13800138000#gil", "nonsense"]) {
      const bad = await stack.request("POST", "/me/phone", { token: s.token, body: { code } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, "PHONE_CODE_INVALID");
    }
    const down = await stack.request("POST", "/me/phone", { token: s.token, body: { code: "phone-down" } });
    assert.equal(down.status, 502);
    assert.equal(down.body.error.code, "WECHAT_UNAVAILABLE");
  });
});

describe("access_token", () => {
  test("50 concurrent phone requests on two instances make exactly one stable_token call", async () => {
    await stack.redis.del(`${stack.prefix}{wx:${APPID}}:access_token`);
    const before = stack.fake.callCount("/cgi-bin/stable_token");
    const sibling = await stack.startSibling();
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => login(`conc${i}`)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const base = i % 2 ? sibling.url : stack.url;
        return fetch(`${base}/me/phone`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-wx-token": (users[i % 10] as { token: string }).token },
          body: JSON.stringify({ code: `phone-1390000${String(i).padStart(4, "0")}` }),
        }).then((r) => r.status);
      }),
    );
    assert.deepEqual(results, Array(50).fill(200));
    assert.equal(stack.fake.callCount("/cgi-bin/stable_token") - before, 1);
  });

  test("a token invalidated mid-run causes exactly one refresh and no failed request", async () => {
    const s = await login("hal");
    const sibling = await stack.startSibling();
    await stack.request("POST", "/me/phone", { token: s.token, body: { code: "phone-13799999999" } });
    const before = stack.fake.callCount("/cgi-bin/stable_token");
    // A steady stream over both instances; calls in flight when the token dies get 40001 before,
    // during and after the refresh, which is when a careless invalidation drops the new token.
    const calls: Promise<number>[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 10) stack.fake.invalidateAccessToken();
      const base = i % 2 ? sibling.url : stack.url;
      calls.push(
        fetch(`${base}/me/phone`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-wx-token": s.token },
          body: JSON.stringify({ code: `phone-137000${String(i).padStart(5, "0")}` }),
        }).then((r) => r.status),
      );
      await new Promise((r) => setTimeout(r, 8));
    }
    assert.deepEqual(await Promise.all(calls), Array(40).fill(200));
    assert.equal(stack.fake.callCount("/cgi-bin/stable_token") - before, 1);
  });

  test("the app secret and access_token appear in no log line and no Redis key", async () => {
    const logs = stack.logs.join("");
    assert.ok(!logs.includes(SECRET));
    const cached = await stack.redis.get(`${stack.prefix}{wx:${APPID}}:access_token`);
    assert.ok(cached?.startsWith("AT_"));
    assert.ok(!logs.includes(cached as string));
    const keys = await stack.redis.keys(`${stack.prefix}*`);
    assert.ok(!keys.join("\n").includes(SECRET));
    assert.ok(!(await dumpRedis(stack)).includes(SECRET));
  });
});
