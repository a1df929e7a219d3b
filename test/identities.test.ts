/**
 * Binding (POST/GET/DELETE /me/identities): one person's accounts on several platforms made one
 * user by their own act, never merged, never left without an identity.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FakePlatforms } from "../src/platforms/fakeServer.js";
import { APPS, startPlatformStack } from "./platformStack.js";
import { APPID, codeFor, type Stack } from "./support.js";

const ADMIN_TOKEN = "a".repeat(40);
let stack: Stack;
let fakes: FakePlatforms;
let stop: () => Promise<void> = async () => {};

before(async () => {
  ({ stack, fakes, stop } = await startPlatformStack({ ADMIN_TOKEN }));
});
after(() => stop());

/** Logs `person` in from a Douyin app; returns the token and user id. */
async function douyinUser(person: string, app: "douyin" | "douyin2" = "douyin") {
  const res = await stack.request("POST", "/auth/login", { body: { code: codeFor(person), appid: APPS[app].appid } });
  assert.equal(res.status, 200, res.text);
  return { token: res.body.token as string, userId: res.body.user.id as number };
}

const bind = (token: string, appid: string, code: string) => stack.request("POST", "/me/identities", { token, body: { appid, code } });

describe("POST /me/identities", () => {
  test("adds the WeChat identity to a Douyin user: 201, listed without openids; WeChat logins are that user from then on", async () => {
    const { token, userId } = await douyinUser("b-ann");
    const res = await bind(token, APPID, codeFor("b-ann-wx"));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ["appid", "createdAt", "id", "platform"]);
    assert.deepEqual([res.body.platform, res.body.appid], ["wechat", APPID]);

    const list = await stack.request("GET", "/me/identities", { token });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.map((i: { platform: string; appid: string }) => [i.platform, i.appid]),
      [
        ["douyin", APPS.douyin.appid],
        ["wechat", APPID],
      ],
    );
    assert.ok(!list.text.includes("openid") && !list.text.includes(fakes.openidFor("douyin", APPS.douyin.appid, "b-ann")));

    const wechat = await stack.login("b-ann-wx", { appid: APPID });
    assert.deepEqual([wechat.body.user.id, wechat.body.isNewUser], [userId, false]);

    await stack.running.deps.audit.flush();

    const audit = await stack.running.deps.prisma.auditEvent.findMany({ where: { userId, action: "identity_linked" } });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.appid, APPID);
  });

  test("the same identity again → 200, nothing added", async () => {
    const { token } = await douyinUser("b-twice");
    assert.equal((await bind(token, APPID, codeFor("b-twice-wx"))).status, 201);
    const again = await bind(token, APPID, codeFor("b-twice-wx"));
    assert.equal(again.status, 200, again.text);
    assert.equal((await stack.request("GET", "/me/identities", { token })).body.length, 2);
  });

  test("another user's identity → 409 IDENTITY_TAKEN, never merged", async () => {
    const other = await stack.login("b-other-wx", { appid: APPID });
    const { token, userId } = await douyinUser("b-taker");
    const res = await bind(token, APPID, codeFor("b-other-wx"));
    assert.deepEqual([res.status, res.body.error.code], [409, "IDENTITY_TAKEN"]);
    const rows = await stack.running.deps.prisma.identity.findMany({
      where: { appid: APPID, userId: { in: [userId, other.body.user.id] } },
    });
    assert.deepEqual(
      rows.map((r) => r.userId),
      [other.body.user.id],
    );
  });

  test("an identity whose unionid is another user's (same platform) → 409 IDENTITY_TAKEN", async () => {
    await douyinUser("b-dy-person", "douyin");
    const { token } = await stack.login("b-dy-binder", { appid: APPID }).then((r) => ({ token: r.body.token as string }));
    // The same Douyin person in the second Douyin app: linked to the first user by Douyin's unionid.
    const res = await bind(token, APPS.douyin2.appid, codeFor("b-dy-person"));
    assert.deepEqual([res.status, res.body.error.code], [409, "IDENTITY_TAKEN"]);
  });

  test("a refused code is the platform's error; a bad body names the field", async () => {
    const { token } = await douyinUser("b-bad");
    const code = codeFor("b-bad-qq");
    fakes.script("qq", code, { error: 40029 });
    const refused = await bind(token, APPS.qq.appid, code);
    assert.deepEqual([refused.status, refused.body.error.code], [401, "LOGIN_CODE_INVALID"]);
    const missing = await stack.request("POST", "/me/identities", { token, body: { code: "x" } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /appid/);
    const unknown = await bind(token, "tt9999999999999999", "x");
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, "APP_UNKNOWN"]);
  });
});

describe("DELETE /me/identities/{id}", () => {
  test("unbinds and ends that identity's sessions only; the last identity stays (409 LAST_IDENTITY)", async () => {
    const { token, userId } = await douyinUser("b-unbind");
    const added = await bind(token, APPS.qq.appid, codeFor("b-unbind-qq"));
    assert.equal(added.status, 201, added.text);
    const qqLogin = await stack.request("POST", "/auth/login", { body: { code: codeFor("b-unbind-qq"), appid: APPS.qq.appid } });
    assert.equal(qqLogin.body.user.id, userId);

    const del = await stack.request("DELETE", `/me/identities/${added.body.id}`, { token });
    assert.equal(del.status, 204, del.text);
    assert.equal((await stack.request("GET", "/auth/session", { token: qqLogin.body.token })).status, 401, "the QQ session ended");
    assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200, "the Douyin one lives");
    const list = await stack.request("GET", "/me/identities", { token });
    assert.deepEqual(
      list.body.map((i: { platform: string }) => i.platform),
      ["douyin"],
    );
    await stack.running.deps.audit.flush();
    const audit = await stack.running.deps.prisma.auditEvent.findMany({ where: { userId, action: "identity_unlinked" } });
    assert.equal(audit.length, 1);

    const last = await stack.request("DELETE", `/me/identities/${list.body[0].id}`, { token });
    assert.deepEqual([last.status, last.body.error.code], [409, "LAST_IDENTITY"]);
  });

  test("another user's identity, or no id at all → 404 IDENTITY_NOT_FOUND", async () => {
    const a = await douyinUser("b-owner");
    const b = await douyinUser("b-prober");
    const [theirs] = (await stack.request("GET", "/me/identities", { token: a.token })).body;
    for (const id of [theirs.id, "abc", "0"]) {
      const res = await stack.request("DELETE", `/me/identities/${id}`, { token: b.token });
      assert.deepEqual([res.status, res.body.error.code], [404, "IDENTITY_NOT_FOUND"], String(id));
    }
    assert.equal((await stack.request("GET", "/me/identities", { token: a.token })).body.length, 1);
  });
});

test("admin GET /admin/users/:id shows each identity's platform", async () => {
  const { token, userId } = await douyinUser("b-admin");
  await bind(token, APPID, codeFor("b-admin-wx"));
  const res = await stack.request("GET", `/admin/users/${userId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    res.body.identities.map((i: { platform: string }) => i.platform),
    ["douyin", "wechat"],
  );
});
