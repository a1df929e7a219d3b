/**
 * Several mini-programs (docs/apps.md): which app a login is for, one user per person across apps
 * bound to one Open Platform account (the fake gives each app its own openid and one unionid),
 * the session's app everywhere it is named, session_key and access_token per app, and the
 * unionid conflict that is reported, not merged.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { wechatEncrypt } from "./fixtures/wechatData.js";
import { connectSql, type SqlClient } from "./sql.js";
import { APPID, codeFor, SECRET, type Stack, startStack, TEST_DATABASE } from "./support.js";

const LITE = "wxlite0123456789ab";
const STAFF = "wxstaff123456789ab";
const SERVICE_TOKEN = randomBytes(24).toString("base64url");
const referer = (appid: string) => `https://servicewechat.com/${appid}/12/page-frame.html`;

let stack: Stack;
let db: SqlClient;
before(async () => {
  stack = await startStack(
    {
      WECHAT_APPID: "",
      WECHAT_SECRET: "",
      WECHAT_APPS: JSON.stringify([
        { appid: APPID, secret: SECRET, name: "shop" },
        { appid: LITE, secret: "lite-secret-0123456789", name: "shop lite" },
        { appid: STAFF, secret: "staff-secret-0123456789" },
      ]),
      SERVICE_TOKEN,
    },
    {
      moreApps: [
        { appid: LITE, secret: "lite-secret-0123456789" },
        { appid: STAFF, secret: "staff-secret-0123456789" },
      ],
    },
  );
  db = await connectSql(stack.databaseUrl);
});
after(async () => {
  await db.end();
  await stack.stop();
});

/** Logs `user` in from `appid` (in the body) and returns the answer with the code used. */
async function loginFrom(appid: string, user: string, how: "body" | "referer" = "body") {
  const code = codeFor(user);
  const res = await stack.request("POST", "/auth/login", {
    body: how === "body" ? { code, appid } : { code },
    headers: how === "referer" ? { Referer: referer(appid) } : {},
  });
  assert.equal(res.status, 200, res.text);
  return { code, token: res.body.token as string, userId: res.body.user.id as number, isNewUser: res.body.isNewUser as boolean };
}

const identitiesOf = async (userId: number) =>
  (await db.query("SELECT appid, openid, unionid FROM identities WHERE user_id = $1 ORDER BY appid", [userId])).rows;

describe("which app a login is for", () => {
  test("the body's appid, else WeChat's Referer; the session names its app everywhere", async () => {
    const shop = await loginFrom(APPID, "p-ann");
    const lite = await loginFrom(LITE, "p-ann", "referer");
    assert.equal(lite.userId, shop.userId, "one person, one user");
    assert.equal(lite.isNewUser, false, "a linked identity is not a new user");
    for (const [s, appid] of [
      [shop, APPID],
      [lite, LITE],
    ] as const) {
      assert.equal((await stack.request("GET", "/auth/session", { token: s.token })).body.appid, appid);
      const verified = await stack.request("GET", "/auth/verify", {
        token: s.token,
        headers: { "X-Tongxing-Service-Token": SERVICE_TOKEN },
      });
      assert.equal(verified.headers.get("x-tongxing-appid"), appid);
      assert.equal(verified.body.openid, stack.fake.openidFor(s.code, appid), "the openid of the session's app");
      assert.equal(verified.body.unionid, stack.fake.unionidFor(s.code));
    }
    assert.deepEqual(await identitiesOf(shop.userId), [
      { appid: LITE, openid: stack.fake.openidFor(lite.code, LITE), unionid: stack.fake.unionidFor(lite.code) },
      { appid: APPID, openid: stack.fake.openidFor(shop.code, APPID), unionid: stack.fake.unionidFor(shop.code) },
    ]);
    const listed = await stack.request("GET", "/auth/sessions", { token: shop.token });
    assert.deepEqual(listed.body.sessions.map((s: { appid: string }) => s.appid).sort(), [APPID, LITE].sort());
  });

  test("several apps and neither an appid nor a WeChat Referer → 400 APP_UNKNOWN, and nothing is written", async () => {
    const code = codeFor("p-nobody");
    const calls = stack.fake.callCount("/sns/jscode2session");
    const headerSets: Record<string, string>[] = [{}, { Referer: "https://example.com/wxlite0123456789ab/1/page-frame.html" }];
    for (const headers of headerSets) {
      const res = await stack.request("POST", "/auth/login", { body: { code }, headers });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, "APP_UNKNOWN");
      assert.match(res.body.error.message, /appid/);
    }
    assert.equal(stack.fake.callCount("/sns/jscode2session"), calls, "WeChat is not asked");
    const rows = await db.query("SELECT count(*) AS n FROM identities WHERE openid = $1", [stack.fake.openidFor(code)]);
    assert.equal(Number(rows.rows[0].n), 0);
  });

  test("an appid that is not configured → 400 APP_UNKNOWN naming it, from the body or the Referer", async () => {
    const other = "wx00000000000000ff";
    const byBody = await stack.request("POST", "/auth/login", { body: { code: codeFor("p-x"), appid: other } });
    assert.equal(byBody.status, 400);
    assert.equal(byBody.body.error.code, "APP_UNKNOWN");
    assert.ok(byBody.body.error.message.includes(other));
    const byReferer = await stack.request("POST", "/auth/login", { body: { code: codeFor("p-x") }, headers: { Referer: referer(other) } });
    assert.equal(byReferer.body.error.code, "APP_UNKNOWN");
    assert.match(byReferer.body.error.message, /Referer/);
  });
});

describe("identities", () => {
  test("concurrent first logins of one person from two apps give one user", async () => {
    stack.fake.holdTogether(2);
    const [a, b] = await Promise.all([loginFrom(APPID, "p-twin"), loginFrom(STAFF, "p-twin")]);
    assert.equal(a.userId, b.userId);
    assert.deepEqual([a.isNewUser, b.isNewUser].sort(), [false, true]);
    assert.equal((await identitiesOf(a.userId)).length, 2);
  });

  test("a unionid another user already holds is stored, not merged: unionid_conflict in the audit trail and the metric", async () => {
    const openid = `o-conflict-${randomBytes(4).toString("hex")}`;
    const unionid = `u-conflict-${randomBytes(4).toString("hex")}`;
    const key = () => randomBytes(16).toString("base64");
    // In the shop without a unionid (an app not yet bound to the Open Platform account)...
    const first = codeFor("p-conflict");
    stack.fake.script(first, { openid, session_key: key() });
    const alone = await stack.request("POST", "/auth/login", { body: { code: first, appid: APPID } });
    // ...meanwhile the same person in the lite app, where WeChat gives the unionid: a new user.
    const liteCode = codeFor("p-conflict-lite");
    stack.fake.script(liteCode, { openid: `${openid}-lite`, session_key: key(), unionid });
    const other = await stack.request("POST", "/auth/login", { body: { code: liteCode, appid: LITE } });
    assert.notEqual(other.body.user.id, alone.body.user.id);
    // The shop gets bound: its next login brings the unionid the lite user holds.
    const again = codeFor("p-conflict");
    stack.fake.script(again, { openid, session_key: key(), unionid });
    const before = await metric("tongxing_unionid_conflicts_total");
    const res = await stack.request("POST", "/auth/login", { body: { code: again, appid: APPID } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.id, alone.body.user.id, "the login goes on as the identity's own user");
    assert.deepEqual(await identitiesOf(alone.body.user.id), [{ appid: APPID, openid, unionid }]);
    assert.equal(await metric("tongxing_unionid_conflicts_total"), before + 1);
    await stack.running.deps.audit.flush();
    const events = await db.query("SELECT detail FROM audit_events WHERE action = 'unionid_conflict' AND user_id = $1", [
      alone.body.user.id,
    ]);
    assert.equal(events.rows.length, 1);
    assert.ok(events.rows[0].detail.includes(`user ${other.body.user.id}`));
    assert.ok(!events.rows[0].detail.includes(unionid), "the audit detail names the user, not the unionid");
  });
});

/**
 * The connections of the test database waiting on a lock: PostgreSQL's row and advisory locks; on
 * MySQL, statements blocked in a row lock (InnoDB's own lock tables are a cached view that missed
 * them) or in GET_LOCK ("User lock").
 */
const LOCK_WAITERS =
  TEST_DATABASE === "mysql"
    ? `SELECT count(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND command IN ('Query', 'Execute')
         AND state IN ('User lock', 'Updating', 'Searching rows for update', 'Sending data', 'Statistics', 'executing')`
    : "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";

/** Waits until `n` backends of the test database wait on a lock (a row's or an advisory one). */
async function lockWaiters(n: number): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    const { rows } = await db.query(LOCK_WAITERS);
    if (Number(rows[0].n) >= n) return;
  }
  throw new Error(`fewer than ${n} backends waiting on a lock after 10 s`);
}

describe("account deletion racing a first login from another app", () => {
  test("the login linking by unionid, paused after it found the user, leaves no identity on the deleted user", async () => {
    const shop = await loginFrom(APPID, "p-gone");
    const holder = await connectSql(stack.databaseUrl);
    let racing: Promise<{ status: number }>;
    try {
      // Holding the user row stops the lite login inside its transaction: it has found the user
      // by unionid and waits to record the login before it links its identity.
      await holder.query(TEST_DATABASE === "mysql" ? "START TRANSACTION" : "BEGIN");
      await holder.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [shop.userId]);
      racing = stack.request("POST", "/auth/login", { body: { code: codeFor("p-gone"), appid: LITE } });
      await lockWaiters(1);
      const deleting = stack.request("DELETE", "/me", { token: shop.token });
      await lockWaiters(2);
      await holder.query("COMMIT");
      assert.equal((await deleting).status, 204);
    } finally {
      await holder.end();
    }
    // Linked just before the deletion (its session then erased), or refused: either way, nothing stays.
    assert.ok([200, 403].includes((await racing).status));
    assert.deepEqual(await identitiesOf(shop.userId), [], "no identity left on the deleted user");
    const later = await loginFrom(LITE, "p-gone");
    assert.notEqual(later.userId, shop.userId);
    assert.equal(later.isNewUser, true, "the person is a new user in the lite app, not refused there");
  });
});

describe("per app: session_key, watermark and access_token", () => {
  test("a login from another app leaves this app's session_key current; the watermark must name the session's app", async () => {
    const shop = await loginFrom(APPID, "p-keys");
    const shopKey = stack.fake.sessionKeys.get(stack.fake.openidFor(shop.code, APPID)) as string;
    const lite = await loginFrom(LITE, "p-keys");
    const liteKey = stack.fake.sessionKeys.get(stack.fake.openidFor(lite.code, LITE)) as string;
    const now = Math.floor(Date.now() / 1000);
    const shopData = wechatEncrypt(shopKey, { watermark: { appid: APPID, timestamp: now } });
    const ok = await stack.request("POST", "/wechat/decrypt", { token: shop.token, body: shopData });
    assert.equal(ok.status, 200, ok.text);
    const check = await stack.request("GET", "/wechat/session", { token: shop.token });
    assert.equal(check.body.valid, true, "WeChat honours the newest key per app");
    const liteOnShop = wechatEncrypt(shopKey, { watermark: { appid: LITE, timestamp: now } });
    const refused = await stack.request("POST", "/wechat/decrypt", { token: shop.token, body: liteOnShop });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, "WATERMARK_MISMATCH");
    const liteData = wechatEncrypt(liteKey, { watermark: { appid: LITE, timestamp: now } });
    assert.equal((await stack.request("POST", "/wechat/decrypt", { token: lite.token, body: liteData })).status, 200);
  });

  test("each app's phone number goes through its own access_token, cached per appid", async () => {
    const lite = await loginFrom(LITE, "p-phone");
    const res = await stack.request("POST", "/me/phone", { token: lite.token, body: { code: "phone-13800138000" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.phone, "+8613800138000");
    assert.equal(await stack.redis.get(`${stack.prefix}{wx:${LITE}}:access_token`), stack.fake.currentAccessToken(LITE));
    assert.notEqual(
      await stack.redis.get(`${stack.prefix}{wx:${APPID}}:access_token`),
      stack.fake.currentAccessToken(LITE),
      "not the shop's",
    );
  });
});

async function metric(name: string): Promise<number> {
  const text = (await stack.request("GET", "/metrics")).text;
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : 0;
}
