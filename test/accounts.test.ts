/**
 * Finding users (admin API and CLI: a user with their identities; search by openid, unionid,
 * phone) and deleting accounts (DELETE /me, DELETE /admin/users/:userId, `users delete`).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { runAdminCli } from "./process.js";
import { connectSql, type SqlClient } from "./sql.js";
import { APPID, codeFor, dumpRedis, SECRET, type Stack, startStack } from "./support.js";

let stack: Stack;
let db: SqlClient;
before(async () => {
  stack = await startStack({ ADMIN_TOKEN });
  db = await connectSql(stack.databaseUrl);
});
after(async () => {
  await db.end();
  await stack.stop();
});

const adminAuth = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const admin = (method: string, path: string) => stack.request(method, path, adminAuth);

async function login(user: string, code = codeFor(user)) {
  const res = await stack.request("POST", "/auth/login", { body: { code } });
  assert.equal(res.status, 200, res.text);
  return { code, token: res.body.token as string, userId: res.body.user.id as number, isNewUser: res.body.isNewUser as boolean };
}

describe("admin: find a user", () => {
  test("GET /admin/users/:userId shows the profile, the ban and the identities with their openids", async () => {
    const a = await login("find-ann");
    await stack.request("POST", "/me/phone", { token: a.token, body: { code: "phone-13900000001" } });
    const res = await admin("GET", `/admin/users/${a.userId}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), [
      "avatarUrl",
      "bannedAt",
      "bannedUntil",
      "createdAt",
      "deletedAt",
      "id",
      "identities",
      "nickname",
      "phone",
      "restrictions",
    ]);
    assert.equal(res.body.phone, "+8613900000001");
    assert.equal(res.body.bannedAt, null);
    assert.deepEqual(
      res.body.identities.map((i: Record<string, unknown>) => [i.appid, i.openid, i.unionid]),
      [[APPID, stack.fake.openidFor(a.code), stack.fake.unionidFor(a.code)]],
    );
    assert.equal((await admin("GET", "/admin/users/987654")).body.error.code, "USER_NOT_FOUND");
    assert.equal((await admin("GET", "/admin/users/abc")).status, 400);
  });

  test("GET /admin/users finds by exactly one of openid, unionid, phone; exact match only", async () => {
    const b = await login("find-bob");
    await stack.request("POST", "/me/phone", { token: b.token, body: { code: "phone-13900000002" } });
    const openid = stack.fake.openidFor(b.code);
    for (const query of [`openid=${openid}`, `unionid=${stack.fake.unionidFor(b.code)}`, `phone=${encodeURIComponent("+8613900000002")}`]) {
      const res = await admin("GET", `/admin/users?${query}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.users.map((u: { id: number }) => u.id),
        [b.userId],
        query,
      );
    }
    assert.deepEqual((await admin("GET", `/admin/users?openid=${openid.slice(0, -1)}`)).body, { users: [] });
    for (const query of [
      `openid=${openid}&phone=1`,
      `openid=${openid}&nickname=bob`,
      `openid=${openid}&openid=${openid}`,
      `openid=${"x".repeat(129)}`,
    ]) {
      const res = await admin("GET", `/admin/users?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.match(res.body.error.message, /openid/);
    }
  });

  test("GET /admin/users lists users newest first, paged by cursor; ?nickname= is a case-insensitive prefix", async () => {
    const made: number[] = [];
    for (const nickname of ["Lin_Wei", "lin%hua", "LINDA", "Bo"]) {
      const u = await login(`list-${nickname}`);
      assert.equal((await stack.request("PATCH", "/me", { token: u.token, body: { nickname } })).status, 200);
      made.push(u.userId);
    }
    const newest = [...made].reverse();
    const first = await admin("GET", "/admin/users?limit=3");
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(
      first.body.users.map((u: { id: number }) => u.id),
      newest.slice(0, 3),
    );
    assert.equal(first.body.users[0].nickname, "Bo");
    assert.equal(typeof first.body.next, "string");
    const second = await admin("GET", `/admin/users?limit=3&cursor=${encodeURIComponent(first.body.next)}`);
    assert.equal(second.body.users[0].id, newest[3]);
    const all = await admin("GET", "/admin/users");
    const ids = all.body.users.map((u: { id: number }) => u.id);
    assert.deepEqual(
      ids,
      [...ids].sort((x: number, y: number) => y - x),
    );
    assert.equal(all.body.next, null, "fewer than a default page: no next");

    const byPrefix = async (q: string) =>
      (await admin("GET", `/admin/users?${q}`)).body as { users: { id: number; nickname: string }[]; next: string | null };
    assert.deepEqual(
      (await byPrefix("nickname=lin")).users.map((u) => u.nickname),
      ["LINDA", "lin%hua", "Lin_Wei"],
    );
    // LIKE's wildcards are plain characters in a prefix.
    assert.deepEqual(
      (await byPrefix(`nickname=${encodeURIComponent("lin%")}`)).users.map((u) => u.nickname),
      ["lin%hua"],
    );
    assert.deepEqual(
      (await byPrefix("nickname=lin_")).users.map((u) => u.nickname),
      ["Lin_Wei"],
    );
    const paged = await byPrefix("nickname=lin&limit=2");
    assert.equal(paged.users.length, 2);
    assert.deepEqual(
      (await byPrefix(`nickname=lin&limit=2&cursor=${paged.next}`)).users.map((u) => u.nickname),
      ["Lin_Wei"],
    );

    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["limit=abc", "limit"],
      ["cursor=abc", "cursor"],
      ["cursor=-1", "cursor"],
      ["nickname=", "nickname"],
      [`nickname=${"x".repeat(257)}`, "nickname"],
      ["colour=red", "colour"],
    ]) {
      const res = await admin("GET", `/admin/users?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.ok(res.body.error.message.includes(field as string), `${query}: ${res.body.error.message}`);
    }
  });

  test("the CLI: users show and users find give what the admin API gives", async () => {
    const c = await login("find-cat");
    const api = (await admin("GET", `/admin/users/${c.userId}`)).body;
    const show = await runAdminCli(stack.env, "users", "show", String(c.userId), "--json");
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(JSON.parse(show.stdout), api);
    const find = await runAdminCli(stack.env, "users", "find", "--unionid", stack.fake.unionidFor(c.code), "--json");
    assert.equal(find.code, 0, find.stderr);
    assert.deepEqual(JSON.parse(find.stdout), { users: [api] });
    const text = await runAdminCli(stack.env, "users", "show", String(c.userId));
    assert.ok(text.stdout.includes(stack.fake.openidFor(c.code)), "the operator sees the openid");
    const usage = await runAdminCli(stack.env, "users", "find", "42");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--openid, --unionid or --phone/);
  });
});

describe("account deletion", () => {
  test("DELETE /me: every session dies on the very next request on every instance; identities, profile and Redis data go", async () => {
    const first = await login("del-dan");
    const second = await login("del-dan");
    await stack.request("PATCH", "/me", { token: first.token, body: { nickname: "Dan" } });
    const sibling = await stack.startSibling();
    const onSibling = (token: string) => fetch(`${sibling.url}/auth/session`, { headers: { "X-WX-Token": token } });
    assert.equal((await onSibling(second.token)).status, 200);

    const res = await stack.request("DELETE", "/me", { token: first.token });
    assert.equal(res.status, 204, res.text);
    for (const token of [first.token, second.token]) {
      const next = await onSibling(token);
      assert.equal(next.status, 401);
      assert.equal(((await next.json()) as { error: { code: string } }).error.code, "TOKEN_INVALID");
    }
    const row = (await db.query("SELECT nickname, avatar_url, phone, deleted_at FROM users WHERE id = $1", [first.userId])).rows[0];
    assert.equal(row.nickname, null);
    assert.ok(row.deleted_at instanceof Date);
    assert.equal(Number((await db.query("SELECT count(*) AS n FROM identities WHERE user_id = $1", [first.userId])).rows[0].n), 0);
    const dump = await dumpRedis(stack);
    assert.ok(!dump.includes(stack.fake.openidFor(first.code)), "no openid left in Redis");
    const hash = await stack.redis.hgetall(`${stack.prefix}{u${first.userId}}`);
    // The sessions' ends say DELETED to a client that comes back (verifier/src/sessionEnd.ts):
    // a letter and a time, nothing of the person.
    for (const [f, v] of Object.entries(hash)) if (f.startsWith("~")) assert.match(v, /^D,[0-9a-z]+$/);
    const fields = Object.keys(hash);
    assert.deepEqual(
      fields.filter((f) => f !== "b" && !f.startsWith("~")),
      [],
      "nothing but the ban marker that stops a racing login",
    );

    await stack.running.deps.audit.flush();
    const audit = await db.query("SELECT actor FROM audit_events WHERE action = 'account_deleted' AND user_id = $1", [first.userId]);
    assert.deepEqual(audit.rows, [{ actor: "user" }]);

    const again = await login("del-dan");
    assert.notEqual(again.userId, first.userId, "a later login by the same person is a new user");
    assert.equal(again.isNewUser, true);
  });

  test("DELETE /admin/users/:userId does the same for operators; the CLI's users delete too", async () => {
    const e = await login("del-eve");
    const res = await admin("DELETE", `/admin/users/${e.userId}`);
    assert.equal(res.status, 204, res.text);
    assert.equal((await stack.request("GET", "/auth/session", { token: e.token })).status, 401);
    const shown = (await admin("GET", `/admin/users/${e.userId}`)).body;
    assert.ok(shown.deletedAt);
    assert.deepEqual(shown.identities, []);
    assert.equal((await admin("DELETE", "/admin/users/987654")).body.error.code, "USER_NOT_FOUND");

    const f = await login("del-fay");
    const out = await runAdminCli(stack.env, "users", "delete", String(f.userId), "--json");
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { deleted: true, revoked: 1 });
    assert.equal((await stack.request("GET", "/auth/session", { token: f.token })).status, 401);

    await stack.running.deps.audit.flush();
    const audit = await db.query(
      "SELECT user_id, actor FROM audit_events WHERE action = 'account_deleted' AND user_id IN ($1, $2) ORDER BY id",
      [e.userId, f.userId],
    );
    assert.deepEqual(audit.rows, [
      { user_id: e.userId, actor: "admin_api" },
      { user_id: f.userId, actor: "cli" },
    ]);
  });

  test("deletion keeps the user's audit events but not their IP addresses, the last login time or an operator's ban reason", async () => {
    const trail = async (userId: number) => {
      await stack.running.deps.audit.flush();
      const rows = await db.query("SELECT action, actor, at, session_id, ip, detail FROM audit_events WHERE user_id = $1 ORDER BY id", [
        userId,
      ]);
      return rows.rows as {
        action: string;
        actor: string;
        at: Date;
        session_id: string | null;
        ip: string | null;
        detail: string | null;
      }[];
    };
    const k = await login("del-kim");
    await stack.request("POST", "/auth/logout", { token: k.token });
    assert.ok(
      (await trail(k.userId)).every((e) => e.ip),
      "logins and logouts record the user's IP",
    );
    const again = await login("del-kim");
    // At once: the login's event is still queued when the deletion runs.
    assert.equal((await stack.request("DELETE", "/me", { token: again.token })).status, 204);
    const kept = await trail(k.userId);
    assert.deepEqual(
      kept.map((e) => [e.action, e.actor, e.ip]),
      [
        ["login", "user", null],
        ["logout", "user", null],
        ["login", "user", null],
        ["account_deleted", "user", null],
      ],
    );
    assert.ok(kept.every((e) => e.at instanceof Date) && kept.slice(0, 3).every((e) => e.session_id), "times and session ids stay");
    const row = (await db.query("SELECT last_login_at, deleted_at FROM users WHERE id = $1", [k.userId])).rows[0];
    assert.equal(row.last_login_at.getTime(), row.deleted_at.getTime(), "the last login time is gone");

    const l = await login("del-lou");
    const reason = "impersonates 张三, phone 13800000000";
    assert.equal((await stack.request("POST", `/admin/users/${l.userId}/ban`, { ...adminAuth, body: { reason } })).status, 200);
    assert.equal((await admin("DELETE", `/admin/users/${l.userId}`)).status, 204);
    const banned = await trail(l.userId);
    assert.deepEqual(
      banned.map((e) => [e.action, e.actor, e.ip === null, e.detail]),
      [
        ["login", "user", true, null],
        ["ban", "admin_api", false, null],
        ["account_deleted", "admin_api", false, "0 session(s) revoked"],
      ],
      "an operator's IP stays (who acted); what they wrote about the person goes",
    );
    assert.equal((await db.query("SELECT ban_reason FROM users WHERE id = $1", [l.userId])).rows[0].ban_reason, null);
  });

  test("without the admin token the admin routes are 401, and DELETE /me needs a session", async () => {
    const g = await login(`del-${randomBytes(3).toString("hex")}`);
    assert.equal((await stack.request("DELETE", `/admin/users/${g.userId}`)).status, 401);
    assert.equal((await stack.request("GET", `/admin/users/${g.userId}`)).status, 401);
    assert.equal((await stack.request("DELETE", "/me")).status, 401);
    assert.equal((await stack.request("GET", "/auth/session", { token: g.token })).status, 200, "nothing was deleted");
  });
});

describe("the audit trail: GET /admin/audit", () => {
  test("newest first, filtered by user and action, paged by id with next", async () => {
    const h = await login("audit-hal");
    await stack.request("POST", "/auth/logout", { token: h.token });
    const again = await login("audit-hal");
    await admin("POST", `/admin/users/${again.userId}/ban`);
    await stack.running.deps.audit.flush();

    const all = await admin("GET", `/admin/audit?userId=${h.userId}`);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(
      all.body.events.map((e: { action: string; actor: string }) => `${e.action}/${e.actor}`),
      ["ban/admin_api", "login/user", "logout/user", "login/user"],
    );
    const ids = all.body.events.map((e: { id: number }) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((x: number, y: number) => y - x),
      "newest first",
    );
    assert.equal(all.body.next, null);
    assert.deepEqual(Object.keys(all.body.events[0]).sort(), [
      "action",
      "actor",
      "appid",
      "at",
      "detail",
      "id",
      "ip",
      "sessionId",
      "userId",
    ]);
    // The app a login or logout happened in; an operator's ban concerns the person, in every app.
    assert.deepEqual(
      all.body.events.map((e: { appid: string | null }) => e.appid),
      [null, APPID, APPID, APPID],
    );

    const logins = await admin("GET", `/admin/audit?userId=${h.userId}&action=login`);
    assert.deepEqual(new Set(logins.body.events.map((e: { action: string }) => e.action)), new Set(["login"]));

    const first = await admin("GET", `/admin/audit?userId=${h.userId}&limit=3`);
    assert.equal(first.body.events.length, 3);
    assert.equal(first.body.next, ids[2]);
    const second = await admin("GET", `/admin/audit?userId=${h.userId}&limit=3&before=${first.body.next}`);
    assert.deepEqual(
      second.body.events.map((e: { id: number }) => e.id),
      [ids[3]],
    );
    assert.equal(second.body.next, null);
  });

  test("bad filters → 400 INVALID_REQUEST naming the parameter; no token → 401", async () => {
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["action=hack", "action"],
      ["userId=-1", "userId"],
      ["before=abc", "before"],
      ["colour=red", "colour"],
    ]) {
      const res = await admin("GET", `/admin/audit?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.ok(res.body.error.message.includes(field as string), `${query}: ${res.body.error.message}`);
    }
    assert.equal((await stack.request("GET", "/admin/audit")).status, 401);
  });
});

describe("the apps: GET /admin/apps", () => {
  test("each configured app's appid and name (WECHAT_APPS name, else the appid), never its secret", async () => {
    const res = await admin("GET", "/admin/apps");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { apps: [{ appid: APPID, platform: "wechat", name: APPID }] });
    assert.ok(!res.text.includes(SECRET));
    assert.equal((await stack.request("GET", "/admin/apps")).status, 401);
  });
});

describe("the overview: GET /admin/overview", () => {
  test("the last hour per minute: logins new vs returning, WeChat errors by errcode, session checks by outcome", async () => {
    const before = (await admin("GET", "/admin/overview")).body;
    assert.equal(before.minutes.length, 60);
    const sum = (body: { series: Record<string, Record<string, number[]>> }, series: string, outcome: string) =>
      (body.series[series]?.[outcome] ?? []).reduce((a, b) => a + b, 0);
    const i = await login("overview-ivy");
    await login("overview-ivy");
    await stack.request("GET", "/auth/session", { token: i.token });
    await stack.request("GET", "/auth/session", { token: "1.not-a-token" });
    await stack.request("POST", "/auth/login", { body: { code: "fake-errcode-40029" } });
    const after = (await admin("GET", "/admin/overview")).body;
    assert.equal(after.status, undefined);
    assert.equal(sum(after, "logins", "new_user") - sum(before, "logins", "new_user"), 1);
    assert.equal(sum(after, "logins", "returning_user") - sum(before, "logins", "returning_user"), 1);
    assert.equal(sum(after, "checks", "valid") - sum(before, "checks", "valid"), 1);
    assert.equal(sum(after, "checks", "invalid") - sum(before, "checks", "invalid"), 1);
    assert.equal(sum(after, "wechat_errors", "40029") - sum(before, "wechat_errors", "40029"), 1);
    assert.ok(Date.parse(after.minutes[59]) <= Date.now() && Date.now() - Date.parse(after.minutes[59]) < 60_000, "the last minute is now");
  });
});
