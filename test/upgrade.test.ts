/**
 * Upgrading a one-app deployment to several apps (docs/apps.md, "Upgrading a one-app
 * deployment"): yesterday's database (built by the migrations before identities, with users in
 * it) and yesterday's Redis sessions (the one-app hash layout, written field by field here) go
 * on working: no user changes id, no session is lost, the old identities become the primary
 * app's, and a person's first login from the new app is linked to their old user by unionid.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import pg from "pg";
import { loadConfig } from "../src/config/config.js";
import { ensureDatabase } from "../src/db/database.js";
import { applyMigrations } from "../src/db/schemaEngine.js";
import { createLogger } from "../src/log.js";
import { startServer } from "../src/server.js";
import { newToken } from "../src/sessions/newToken.js";
import { SessionKeyVault } from "../src/sessions/sessionKeyVault.js";
import { encodeUserAgent } from "../src/sessions/userAgent.js";
import { encodeRecord } from "../verifier/src/record.js";
import { sidOf } from "../verifier/src/token.js";
import { wechatEncrypt } from "./fixtures/wechatData.js";
import { APPID, codeFor, freshDatabaseUrl, REDIS_URL, SECRET, startStack } from "./support.js";

/** The newest migration of the one-app days. */
const BEFORE_IDENTITIES = "20261122004314_nickname_grapheme_clusters";
const LITE = "wxlite0123456789ab";
const LITE_SECRET = "lite-secret-0123456789";

test("a one-app deployment moves to WECHAT_APPS: same user ids, live sessions, identities of the primary app", async () => {
  const databaseUrl = freshDatabaseUrl();
  const prefix = `t${randomBytes(4).toString("hex")}:`;
  const encryptionKey = randomBytes(32);
  await ensureDatabase(databaseUrl);
  assert.ok((await applyMigrations(databaseUrl, 120, BEFORE_IDENTITIES)).includes(BEFORE_IDENTITIES));

  // Yesterday's users: ids 1 and 3 (2 was deleted, so the sequence has a gap to keep).
  const people = ["old-ann", "old-gone", "old-bob"];
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const openid = (p: string) => `o${p.padEnd(27, "x")}`;
  const unionid = (p: string) => `u${p.padEnd(27, "y")}`;
  for (const p of people) {
    await db.query("INSERT INTO users (openid, unionid, nickname, updated_at) VALUES ($1, $2, $3, now())", [openid(p), unionid(p), p]);
  }
  await db.query("DELETE FROM users WHERE id = 2");

  // Yesterday's session of ann in Redis: the one-app layout (keys.ts), field by field.
  const redis = (await import("ioredis")).Redis;
  const r = new redis(REDIS_URL);
  const token = newToken(1);
  const sid = sidOf(token);
  const sessionKey = randomBytes(16).toString("base64");
  const now = Date.now();
  const ua = encodeUserAgent("Mozilla/5.0 (iPhone) MicroMessenger/8.0.50");
  const record = encodeRecord({
    userId: 1,
    sid,
    createdAt: now - 60_000,
    lastSeenAt: now - 60_000,
    expiresAt: now + 3_600_000,
    absoluteExpiresAt: now + 86_400_000,
    appid: APPID,
    platform: "wechat",
    slot: "",
    openid: openid("old-ann"),
    unionid: unionid("old-ann"),
    ip: "203.0.113.5",
    userAgentRef: ua.ref,
    restrictions: [],
    elevatedAt: 0,
    elevatedUntil: 0,
  });
  assert.match(record, /,203\.0\.113\.5$/, "yesterday's record: no app slot");
  const key = `${prefix}{u1}`;
  await r.hset(key, sid, record, "o", openid("old-ann"), "u", unionid("old-ann"));
  await r.hset(key, "k", new SessionKeyVault(encryptionKey).seal(1, sid, sessionKey), "ks", sid);
  for (const [i, piece] of ua.pieces.entries()) await r.hset(key, `a${ua.ref}${i}`, piece);
  await r.pexpireat(key, now + 3_600_000);
  r.disconnect();

  const apps = [
    { appid: APPID, secret: SECRET, name: "shop" },
    { appid: LITE, secret: LITE_SECRET, name: "lite" },
  ];
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: prefix,
    SESSION_KEY_ENCRYPTION_KEY: encryptionKey.toString("base64"),
    WECHAT_APPID: "",
    WECHAT_SECRET: "",
    WECHAT_APPS: JSON.stringify(apps),
  };
  const stack = await startStack(env, { moreApps: [{ appid: LITE, secret: LITE_SECRET }] });
  try {
    const ids = await db.query(
      "SELECT u.id, i.platform, i.appid, i.openid, i.unionid FROM users u JOIN identities i ON i.user_id = u.id ORDER BY u.id",
    );
    assert.deepEqual(ids.rows, [
      { id: 1, platform: "wechat", appid: APPID, openid: openid("old-ann"), unionid: unionid("old-ann") },
      { id: 3, platform: "wechat", appid: APPID, openid: openid("old-bob"), unionid: unionid("old-bob") },
    ]);

    const session = await stack.request("GET", "/auth/session", { token });
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.userId, 1);
    assert.equal(session.body.appid, APPID, "yesterday's sessions are the primary app's");
    assert.equal(session.body.platform, "wechat", "and WeChat's");
    const data = wechatEncrypt(sessionKey, { watermark: { appid: APPID, timestamp: Math.floor(Date.now() / 1000) } });
    assert.equal((await stack.request("POST", "/wechat/decrypt", { token, body: data })).status, 200, "and keep their session_key");

    // Ann logs in again from the shop, then for the first time from the lite app: user 1 both times.
    const code = codeFor("old-ann");
    stack.fake.script(code, { openid: openid("old-ann"), session_key: randomBytes(16).toString("base64"), unionid: unionid("old-ann") });
    const again = await stack.request("POST", "/auth/login", { body: { code, appid: APPID } });
    assert.deepEqual([again.body.user.id, again.body.isNewUser], [1, false]);
    const liteCode = codeFor("old-ann-lite");
    stack.fake.script(liteCode, { openid: "o-ann-in-lite", session_key: randomBytes(16).toString("base64"), unionid: unionid("old-ann") });
    const lite = await stack.request("POST", "/auth/login", { body: { code: liteCode, appid: LITE } });
    assert.deepEqual([lite.body.user.id, lite.body.isNewUser], [1, false]);
    assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200, "the old session still lives");

    // Another primary app would report every existing session as the wrong app's: refused.
    const reordered = loadConfig({ ...stack.env, WECHAT_APPS: JSON.stringify([apps[1], apps[0]]), PORT: "0" });
    await assert.rejects(startServer(reordered, createLogger("silent")), /the first app must stay wxtest/);

    // Then to APPS, with an app of another platform beside the two: nothing moves.
    const allApps = [...apps.map((a) => ({ platform: "wechat", ...a })), { platform: "qq", appid: "1109000001", secret: "qq-secret" }];
    const withApps = loadConfig({ ...stack.env, WECHAT_APPS: undefined, APPS: JSON.stringify(allApps), PORT: "0" });
    const next = await startServer(withApps, createLogger("silent"));
    try {
      const res = await fetch(`${next.url}/auth/session`, { headers: { "x-wx-token": token } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { userId: number; appid: string; platform: string };
      assert.deepEqual([body.userId, body.appid, body.platform], [1, APPID, "wechat"]);
      const lite2 = codeFor("old-ann-lite-2");
      stack.fake.script(lite2, { openid: "o-ann-in-lite", session_key: randomBytes(16).toString("base64"), unionid: unionid("old-ann") });
      const res2 = await fetch(`${next.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: lite2, appid: LITE }),
      });
      const login = (await res2.json()) as { user: { id: number }; isNewUser: boolean };
      assert.deepEqual([login.user.id, login.isNewUser], [1, false]);
    } finally {
      await next.stop(2000);
    }
  } finally {
    await db.end();
    await stack.stop();
  }
});
