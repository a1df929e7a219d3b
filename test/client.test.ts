/**
 * The mini-program client SDK against a real tongxing: a simulated `wx` whose request makes real
 * HTTP calls (fetch) and answers like wx.request, whose login returns codes the fake WeChat
 * accepts, with in-memory storage.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { createClient, type SessionEnd, TongxingError } from "../client/src/index.js";
import { simulatedWx } from "./fixtures/simulatedWx.js";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { APPID, codeFor, type Stack, startStack } from "./support.js";

let stack: Stack;
before(async () => {
  stack = await startStack({ ADMIN_TOKEN });
});
after(() => stack.stop());

describe("client SDK", () => {
  test("the first call logs in, and the token is kept in storage", async () => {
    const { wx, storage, counts } = simulatedWx("sdk1");
    const tx = createClient({ baseUrl: stack.url, wx });
    const me = await tx.me();
    assert.equal(typeof me.id, "number");
    assert.equal(counts.login, 1);
    assert.match(String(storage.get("tongxing.token")), /^\d+\.[A-Za-z0-9_-]{32}$/);
    const updated = await tx.updateMe({ nickname: "小程序 🐧" });
    assert.equal(updated.nickname, "小程序 🐧");
    assert.equal((await tx.sessions()).filter((s) => s.current).length, 1);
    assert.equal(counts.login, 1, "no second login");
  });

  test("20 concurrent requests with no token make exactly one login", async () => {
    const { wx, counts } = simulatedWx("sdk2");
    const tx = createClient({ baseUrl: stack.url, wx });
    const logins = stack.fake.callCount("/sns/jscode2session");
    const results = await Promise.all(Array.from({ length: 20 }, () => tx.request<{ userId: number }>({ url: "/auth/session" })));
    assert.equal(new Set(results.map((r) => r.userId)).size, 1);
    assert.equal(counts.login, 1);
    assert.equal(stack.fake.callCount("/sns/jscode2session") - logins, 1);
  });

  test("a login answered 502 (WeChat failed, the code may be spent) is retried once with a fresh wx.login code", async () => {
    const codes = [codeFor("sdk-502"), codeFor("sdk-502")];
    stack.fake.script(codes[0] as string, { status: 500 }, { status: 500 }, { status: 500 });
    const { wx, counts } = simulatedWx("sdk-502", () => codes.shift() ?? codeFor("sdk-502"));
    const tx = createClient({ baseUrl: stack.url, wx });
    const me = await tx.me();
    assert.equal(typeof me.id, "number");
    assert.equal(counts.login, 2, "a second wx.login for the retry");

    // Both attempts failing: the 502 reaches the caller, no loop.
    const failing = [codeFor("sdk-502b"), codeFor("sdk-502b")];
    for (const c of failing) stack.fake.script(c, { status: 500 }, { status: 500 }, { status: 500 });
    const second = simulatedWx("sdk-502b", () => failing.shift() ?? "unused");
    const tx2 = createClient({ baseUrl: stack.url, wx: second.wx });
    await assert.rejects(tx2.me(), (err: TongxingError) => err.code === "WECHAT_UNAVAILABLE" && err.status === 502);
    assert.equal(second.counts.login, 2);
  });

  test("a session revoked by the admin API mid-run: the requests refused together tell the app once; no re-login, later ones refused locally", async () => {
    const { wx, counts } = simulatedWx("sdk3");
    const ends: SessionEnd[] = [];
    const tx = createClient({ baseUrl: stack.url, wx, onSessionEnded: (end) => void ends.push(end) });
    const me = await tx.me();
    const statuses: string[] = [];
    const requests: number[] = [];
    for (let round = 0; round < 4; round++) {
      if (round === 2) {
        const res = await stack.request("DELETE", `/admin/users/${me.id}/sessions`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        assert.equal(res.body.revoked, 1);
      }
      const batch = await Promise.allSettled(Array.from({ length: 10 }, () => tx.request({ url: "/auth/session" })));
      statuses.push(...batch.map((b) => (b.status === "fulfilled" ? "ok" : ((b.reason as TongxingError).reason ?? "?"))));
      requests.push(counts.request);
    }
    assert.deepEqual(statuses, [...Array(20).fill("ok"), ...Array(20).fill("REVOKED")]);
    assert.deepEqual(ends, [{ reason: "REVOKED" }]);
    assert.equal(counts.login, 1, "no re-login by itself");
    assert.equal(requests[3], requests[2], "the last round never reached the network");
  });

  test("a re-login that fails again does not loop", async () => {
    const { wx, counts } = simulatedWx("sdk4", () => "fake-errcode-40029");
    wx.setStorageSync("tongxing.token", "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const tx = createClient({ baseUrl: stack.url, wx });
    await assert.rejects(tx.me(), (err: TongxingError) => err.code === "WECHAT_CODE_INVALID" && err.status === 401);
    assert.equal(counts.login, 2, "the refused code and one fresh code, no more");
  });

  test("a code WeChat refuses (401 WECHAT_CODE_INVALID) is retried once with a fresh wx.login code", async () => {
    const codes = ["fake-errcode-40029", codeFor("sdk-refused")];
    const { wx, counts } = simulatedWx("sdk-refused", () => codes.shift() ?? "unused");
    const tx = createClient({ baseUrl: stack.url, wx });
    const exchanges = stack.fake.callCount("/sns/jscode2session");
    const { user } = await tx.login();
    assert.equal(typeof user.id, "number");
    assert.equal(counts.login, 2);
    assert.equal(stack.fake.callCount("/sns/jscode2session") - exchanges, 2, "both codes reached WeChat");
  });

  test("the appid option is sent in the login body: the session is that app's, an unknown one is refused", async () => {
    const { wx } = simulatedWx("sdk-appid");
    const tx = createClient({ baseUrl: stack.url, wx, appid: APPID });
    assert.equal((await tx.request<{ appid: string }>({ url: "/auth/session" })).appid, APPID);

    const other = simulatedWx("sdk-appid2");
    const tx2 = createClient({ baseUrl: stack.url, wx: other.wx, appid: "wxnot0configured0001" });
    await assert.rejects(tx2.login(), (err: TongxingError) => err.code === "APP_UNKNOWN" && err.status === 400);
    assert.equal(other.counts.login, 1, "a refused appid is not a refused code: no retry");
  });

  test("WeChat code errors surface as TongxingError with the server's code", async () => {
    for (const [code, expected, status] of [
      ["fake-errcode-40029", "WECHAT_CODE_INVALID", 401],
      ["fake-errcode-40226", "WECHAT_USER_BLOCKED", 403],
    ] as const) {
      const { wx } = simulatedWx("x", () => code);
      const tx = createClient({ baseUrl: stack.url, wx });
      await assert.rejects(
        tx.login(),
        (err: unknown) => err instanceof TongxingError && err.code === expected && err.status === status && err.message.length > 0,
      );
    }
  });

  test("server down → NETWORK_ERROR; logout with the server down still forgets the token", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { wx, storage } = simulatedWx("sdk5");
    storage.set("tongxing.token", "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const tx = createClient({ baseUrl: `http://127.0.0.1:${port}`, wx });
    await assert.rejects(tx.me(), (err: TongxingError) => err.code === "NETWORK_ERROR" && err.status === 0);
    await tx.logout();
    assert.equal(tx.getToken(), null);
    assert.equal(storage.has("tongxing.token"), false);
  });

  test("a server that does not answer → TIMEOUT", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const { wx } = simulatedWx("sdk6");
      const tx = createClient({ baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, wx, timeout: 300 });
      await assert.rejects(tx.login(), (err: TongxingError) => err.code === "TIMEOUT");
    } finally {
      silent.close();
    }
  });

  test("logout revokes the session on the server and forgets the token", async () => {
    const { wx } = simulatedWx("sdk7");
    const tx = createClient({ baseUrl: stack.url, wx });
    await tx.ensureLogin();
    const token = tx.getToken() as string;
    await tx.logout();
    assert.equal(tx.getToken(), null);
    assert.equal((await stack.request("GET", "/auth/session", { token })).status, 401);
  });

  test("bindPhone", async () => {
    const { wx } = simulatedWx("sdk8");
    const tx = createClient({ baseUrl: stack.url, wx });
    assert.equal((await tx.bindPhone("phone-13512345678")).phone, "+8613512345678");
    await assert.rejects(tx.bindPhone("nope"), (err: TongxingError) => err.code === "PHONE_CODE_INVALID");
  });
});
