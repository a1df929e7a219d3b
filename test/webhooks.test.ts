/**
 * Events (src/events/): each type sent to real HTTP receivers (examples/webhook-receiver, which
 * verifies every delivery with the Standard Webhooks reference library), from the change that
 * reports it: logins, profile and phone, logouts and revocations, bans, binding, unionid
 * conflicts, account deletion, and the admin CLI's changes.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { publicSessionId, sidOf } from "../verifier/src/token.js";
import { runAdminCli } from "./process.js";
import { APPID, codeFor, SECRET, type Stack, startStack } from "./support.js";
import { TestReceiver } from "./webhookReceiver.js";

const LITE = "wxlite0123456789ab";
const ADMIN_TOKEN = "w".repeat(40);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let stack: Stack;
/** Every event, without openids. */
let all: TestReceiver;
/** Some types, with openids (includeOpenid). */
let withIds: TestReceiver;

before(async () => {
  all = await new TestReceiver().up();
  withIds = await new TestReceiver().up();
  stack = await startStack(
    {
      WECHAT_APPID: "",
      WECHAT_SECRET: "",
      WECHAT_APPS: JSON.stringify([
        { appid: APPID, secret: SECRET, name: "shop" },
        { appid: LITE, secret: "lite-secret-0123456789", name: "lite" },
      ]),
      ADMIN_TOKEN,
      SESSIONS_PER_USER_MAX: "2",
      WEBHOOKS: JSON.stringify([
        { url: all.url, secret: all.secret },
        {
          url: withIds.url,
          secret: withIds.secret,
          includeOpenid: true,
          events: ["user.created", "session.created", "user.deleted", "identity.linked", "unionid.conflict"],
        },
      ]),
    },
    { moreApps: [{ appid: LITE, secret: "lite-secret-0123456789" }] },
  );
});
after(async () => {
  await stack.stop();
  await all.down();
  await withIds.down();
});

/** Logs `person` in (from `appid`); returns the code, token, user id and public session id. */
async function login(person: string, appid = APPID) {
  const code = codeFor(person);
  const res = await stack.request("POST", "/auth/login", { body: { code, appid } });
  assert.equal(res.status, 200, res.text);
  const { token } = res.body as { token: string };
  const userId = res.body.user.id as number;
  return { code, token, userId, sessionId: publicSessionId(userId, sidOf(token)) };
}

/** The session.ended events of a user, as [sessionId, reason]. */
const endings = (userId: number) => all.ofType("session.ended", userId).map((e) => [e.data.sessionId, e.data.reason]);

describe("logins", () => {
  test("a first login: user.created then session.created, signed as Standard Webhooks says; openids only where asked for", async () => {
    const ann = await login("ann");
    const created = await all.event("user.created", ann.userId);
    const session = await all.event("session.created", ann.userId);
    assert.deepEqual(created.data, { userId: ann.userId, platform: "wechat", appid: APPID });
    assert.deepEqual(session.data, { userId: ann.userId, sessionId: ann.sessionId, platform: "wechat", appid: APPID });
    assert.ok(Date.parse(created.timestamp) <= Date.parse(session.timestamp));
    assert.ok(Math.abs(Date.parse(created.timestamp) - Date.now()) < 10_000);

    const arrival = all.arrivals.find((a) => a.id === created.id);
    assert.match(created.id, /^msg_[A-Za-z0-9]{24}$/);
    assert.match(String(arrival?.headers["webhook-timestamp"]), /^\d{10}$/);
    assert.ok(Math.abs(Number(arrival?.headers["webhook-timestamp"]) - Date.now() / 1000) < 10);
    assert.match(String(arrival?.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.equal(arrival?.headers["content-type"], "application/json");
    // The reference library verified every delivery (a bad signature would be 401).
    assert.ok(all.answers.length > 0 && all.answers.every((s) => s === 204), String(all.answers));

    const withOpenid = await withIds.event("session.created", ann.userId);
    assert.deepEqual(withOpenid.data, {
      ...session.data,
      openid: stack.fake.openidFor(ann.code),
      unionid: stack.fake.unionidFor(ann.code),
    });
    assert.equal(withOpenid.id, session.id, "one event, one webhook-id at every endpoint");
    const everything = JSON.stringify(all.events);
    assert.ok(!everything.includes(stack.fake.openidFor(ann.code)) && !everything.includes(stack.fake.unionidFor(ann.code)));
    assert.ok(!everything.includes(ann.token) && !everything.includes(ann.token.split(".")[1] as string));
  });

  test("a returning login: session.created only; one over SESSIONS_PER_USER_MAX ends the oldest, reason replaced", async () => {
    const first = await login("bob");
    const second = await login("bob");
    const third = await login("bob");
    await all.until("bob's third session", () => all.ofType("session.created", first.userId).length === 3);
    assert.equal(all.ofType("user.created", first.userId).length, 1);
    await all.until("the eviction", () => endings(first.userId).length === 1);
    assert.deepEqual(endings(first.userId), [[first.sessionId, "replaced"]]);
    assert.notEqual(second.sessionId, third.sessionId);
    assert.equal(withIds.ofType("session.ended").length, 0, "an endpoint gets only the types it lists");
  });

  test("a first login from another app linked by unionid: identity.linked; a unionid another user holds: unionid.conflict", async () => {
    const cat = await login("cat");
    const lite = await login("cat", LITE);
    assert.equal(lite.userId, cat.userId);
    const linked = await all.event("identity.linked", cat.userId);
    assert.deepEqual([linked.data.platform, linked.data.appid, typeof linked.data.identityId], ["wechat", LITE, "number"]);

    // The shop without a unionid, the lite app with one: two users; then the shop brings it too.
    const openid = `o-conflict-${randomBytes(4).toString("hex")}`;
    const unionid = `u-conflict-${randomBytes(4).toString("hex")}`;
    const key = () => randomBytes(16).toString("base64");
    const shopCode = codeFor("dan");
    stack.fake.script(shopCode, { openid, session_key: key() });
    const alone = await stack.request("POST", "/auth/login", { body: { code: shopCode, appid: APPID } });
    const liteCode = codeFor("dan-lite");
    stack.fake.script(liteCode, { openid: `${openid}-lite`, session_key: key(), unionid });
    const other = await stack.request("POST", "/auth/login", { body: { code: liteCode, appid: LITE } });
    const again = codeFor("dan");
    stack.fake.script(again, { openid, session_key: key(), unionid });
    assert.equal((await stack.request("POST", "/auth/login", { body: { code: again, appid: APPID } })).status, 200);
    const conflict = await all.event("unionid.conflict", alone.body.user.id);
    assert.deepEqual(conflict.data, { userId: alone.body.user.id, otherUserId: other.body.user.id, platform: "wechat", appid: APPID });
    const told = await withIds.event("unionid.conflict", alone.body.user.id);
    assert.deepEqual([told.data.openid, told.data.unionid], [openid, unionid]);
  });
});

describe("the user's own changes", () => {
  test("PATCH /me and a phone number: user.updated naming what changed, never the number; no change, no event", async () => {
    const eve = await login("eve");
    assert.equal((await stack.request("PATCH", "/me", { token: eve.token, body: { nickname: "夏娃 🌙" } })).status, 200);
    const updated = await all.event("user.updated", eve.userId);
    assert.deepEqual(updated.data, { userId: eve.userId, changed: ["nickname"], nickname: "夏娃 🌙" });
    assert.equal((await stack.request("PATCH", "/me", { token: eve.token, body: { nickname: "夏娃 🌙" } })).status, 200);
    assert.equal((await stack.request("POST", "/me/phone", { token: eve.token, body: { code: "phone-13900000123" } })).status, 200);
    await all.until("the phone's user.updated", () => all.ofType("user.updated", eve.userId).length === 2);
    const phone = all.ofType("user.updated", eve.userId)[1];
    assert.deepEqual(phone?.data, { userId: eve.userId, changed: ["phone"] });
    assert.ok(!JSON.stringify(all.events).includes("13900000123"));
  });

  test("logout, revoking one of one's sessions, logging out the others: session.ended logout, revoked", async () => {
    const a = await login("fay");
    const b = await login("fay");
    assert.equal((await stack.request("POST", "/auth/logout", { token: a.token })).status, 204);
    await all.until("the logout", () => endings(a.userId).length === 1);
    const c = await login("fay");
    assert.equal((await stack.request("DELETE", `/auth/sessions/${b.sessionId}`, { token: c.token })).status, 204);
    const d = await login("fay");
    assert.equal((await stack.request("POST", "/auth/logout-others", { token: d.token })).status, 200);
    await all.until("three endings", () => endings(a.userId).length === 3);
    assert.deepEqual(endings(a.userId), [
      [a.sessionId, "logout"],
      [b.sessionId, "revoked"],
      [c.sessionId, "revoked"],
    ]);
  });

  test("binding and unbinding: identity.linked, identity.unlinked, and that app's sessions end (revoked)", async () => {
    const gus = await login("gus");
    const bound = await stack.request("POST", "/me/identities", {
      token: gus.token,
      body: { appid: LITE, code: codeFor("gus-elsewhere") },
    });
    assert.equal(bound.status, 201, bound.text);
    const linked = await all.event("identity.linked", gus.userId);
    assert.deepEqual(linked.data, { userId: gus.userId, identityId: bound.body.id, platform: "wechat", appid: LITE });
    const lite = await login("gus-elsewhere", LITE);
    assert.equal(lite.userId, gus.userId);
    assert.equal((await stack.request("DELETE", `/me/identities/${bound.body.id}`, { token: gus.token })).status, 204);
    const unlinked = await all.event("identity.unlinked", gus.userId);
    assert.deepEqual(unlinked.data, linked.data);
    await all.until("the lite session's end", () => endings(gus.userId).length === 1);
    assert.deepEqual(endings(gus.userId), [[lite.sessionId, "revoked"]]);
  });

  test("account deletion: user.deleted (identities only to includeOpenid endpoints), every session ended: deleted", async () => {
    const hal = await login("hal");
    const other = await login("hal");
    assert.equal((await stack.request("DELETE", "/me", { token: hal.token })).status, 204);
    const deleted = await all.event("user.deleted", hal.userId);
    assert.deepEqual(deleted.data, { userId: hal.userId });
    const withIdentities = await withIds.event("user.deleted", hal.userId);
    assert.deepEqual(withIdentities.data.identities, [
      {
        identityId: (withIdentities.data.identities as { identityId: number }[])[0]?.identityId,
        platform: "wechat",
        appid: APPID,
        openid: stack.fake.openidFor(hal.code),
        unionid: stack.fake.unionidFor(hal.code),
      },
    ]);
    await all.until("two endings", () => endings(hal.userId).length === 2);
    assert.deepEqual(
      endings(hal.userId).sort(),
      [
        [hal.sessionId, "deleted"],
        [other.sessionId, "deleted"],
      ].sort(),
    );
  });
});

describe("operators' changes", () => {
  test("admin API: a revoke, a ban (user.banned, sessions ended: banned), a re-ban (nothing new), an unban", async () => {
    const ivy = await login("ivy");
    const kept = await login("ivy");
    assert.equal((await stack.request("DELETE", `/admin/sessions/${ivy.sessionId}`, { headers: admin })).status, 204);
    await all.until("the revoke", () => endings(ivy.userId).length === 1);
    assert.equal((await stack.request("POST", `/admin/users/${ivy.userId}/ban`, { headers: admin, body: {} })).status, 200);
    await all.event("user.banned", ivy.userId);
    await all.until("the ban's ending", () => endings(ivy.userId).length === 2);
    assert.deepEqual(endings(ivy.userId), [
      [ivy.sessionId, "revoked"],
      [kept.sessionId, "banned"],
    ]);
    assert.deepEqual(all.ofType("user.banned", ivy.userId)[0]?.data, { userId: ivy.userId });
    assert.equal(
      (await stack.request("POST", `/admin/users/${ivy.userId}/ban`, { headers: admin, body: { reason: "again" } })).status,
      200,
    );
    assert.equal((await stack.request("DELETE", `/admin/users/${ivy.userId}/ban`, { headers: admin })).status, 200);
    await all.event("user.unbanned", ivy.userId);
    assert.equal(all.ofType("user.banned", ivy.userId).length, 1);
  });

  test("the admin CLI records events for the running instances to send, with no WEBHOOKS in its environment", async () => {
    const jay = await login("jay");
    const { WEBHOOKS: _unused, ...env } = stack.env;
    const cli = await runAdminCli(env, "users", "ban", String(jay.userId), "--json");
    assert.equal(cli.code, 0, cli.stderr);
    await all.event("user.banned", jay.userId);
    await all.until("jay's session's end", () => endings(jay.userId).length === 1);
    assert.deepEqual(endings(jay.userId), [[jay.sessionId, "banned"]]);
  });
});
