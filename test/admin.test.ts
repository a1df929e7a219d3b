/**
 * The admin API, the user's own session routes, the operators' CLI (same results as HTTP), and
 * the audit trail.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { runAdminCli, runBuiltAdminCli } from "./process.js";
import { connectSql, type SqlClient } from "./sql.js";
import { type Stack, startStack } from "./support.js";

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

const admin = (method: string, path: string, opts: { body?: unknown; token?: string } = {}) =>
  stack.request(method, path, { headers: { authorization: `Bearer ${opts.token ?? ADMIN_TOKEN}` }, body: opts.body });

async function login(user: string, userAgent = "test-agent/1.0") {
  const res = await stack.request("POST", "/auth/login", {
    body: { code: `${user}#${Math.random()}` },
    headers: { "user-agent": userAgent },
  });
  assert.equal(res.status, 200, res.text);
  return res.body as { token: string; user: { id: number } };
}

/** Runs the CLI as an operator would, with the server's environment. */
const cli = (...args: string[]) => runAdminCli(stack.env, ...args);
const cliWith = (env: Record<string, string>, ...args: string[]) => runAdminCli({ ...stack.env, ...env }, ...args);

describe("admin API authentication", () => {
  for (const [name, headers] of [
    ["no token", {}],
    ["a wrong token", { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ["a user's session token", { authorization: "Bearer 1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }],
  ] as const) {
    test(`${name} → 401 ADMIN_UNAUTHORIZED`, async () => {
      const res = await stack.request("GET", "/admin/users/1/sessions", { headers });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, "ADMIN_UNAUTHORIZED");
    });
  }

  test("unknown user → 404 USER_NOT_FOUND; a non-numeric id → 400", async () => {
    for (const [method, path] of [
      ["GET", "/admin/users/999999/sessions"],
      ["DELETE", "/admin/users/999999/sessions"],
      ["POST", "/admin/users/999999/ban"],
      ["DELETE", "/admin/users/999999/ban"],
    ]) {
      const res = await admin(method as string, path as string);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.error.code, "USER_NOT_FOUND");
    }
    for (const id of ["abc", "1.5", "-1", "0", "99999999999", "1%27%20OR%201=1"]) {
      const res = await admin("GET", `/admin/users/${id}/sessions`);
      assert.equal(res.status, 400, id);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
    }
  });
});

describe("admin console files", () => {
  test("only the console's own files are served: names inherited by every JS object are 404, not 500", async () => {
    for (const file of ["toString", "__proto__", "constructor", "hasOwnProperty", "valueOf", "..%2Fpackage.json"]) {
      const res = await stack.request("GET", `/admin/console/${file}`);
      assert.equal(res.status, 404, file);
      assert.equal(res.body.error.code, "NOT_FOUND", file);
    }
  });
});

describe("admin sessions", () => {
  test("list newest first with IP and User-Agent; revoke one; revoke all", async () => {
    const first = await login("ada", "agent-one");
    const second = await login("ada", "agent-two");
    const userId = first.user.id;
    const list = await admin("GET", `/admin/users/${userId}/sessions`);
    assert.equal(list.status, 200);
    const sessions = list.body.sessions;
    assert.equal(sessions.length, 2);
    assert.deepEqual(Object.keys(sessions[0]).sort(), [
      "appid",
      "createdAt",
      "expiresAt",
      "ip",
      "lastSeenAt",
      "platform",
      "sessionId",
      "userAgent",
    ]);
    assert.deepEqual(
      sessions.map((s: { userAgent: string }) => s.userAgent),
      ["agent-two", "agent-one"],
    );
    assert.match(sessions[0].ip, /127\.0\.0\.1/);
    assert.ok(!list.text.includes(first.token.slice(first.token.indexOf(".") + 1)));

    assert.equal((await admin("DELETE", `/admin/sessions/${sessions[1].sessionId}`)).status, 204);
    assert.equal((await stack.request("GET", "/auth/session", { token: first.token })).status, 401);
    assert.equal((await stack.request("GET", "/auth/session", { token: second.token })).status, 200);
    const again = await admin("DELETE", `/admin/sessions/${sessions[1].sessionId}`);
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, "SESSION_NOT_FOUND");
    assert.equal((await admin("DELETE", "/admin/sessions/not-a-session")).body.error.code, "SESSION_NOT_FOUND");

    const all = await admin("DELETE", `/admin/users/${userId}/sessions`);
    assert.deepEqual(all.body, { revoked: 1 });
    assert.equal((await stack.request("GET", "/auth/session", { token: second.token })).status, 401);
  });
});

describe("the user's own sessions", () => {
  test("list with current, revoke one of their own, never another user's, log out the others", async () => {
    const a1 = await login("bea");
    const a2 = await login("bea");
    const a3 = await login("bea");
    const other = await login("cleo");
    const list = await stack.request("GET", "/auth/sessions", { token: a1.token });
    assert.equal(list.status, 200);
    assert.equal(list.body.sessions.length, 3);
    assert.deepEqual(
      list.body.sessions.map((s: { current: boolean }) => s.current),
      [false, false, true],
    );

    const othersList = await admin("GET", `/admin/users/${other.user.id}/sessions`);
    const foreign = await stack.request("DELETE", `/auth/sessions/${othersList.body.sessions[0].sessionId}`, { token: a1.token });
    assert.equal(foreign.status, 404, "another user's session is not yours to revoke");
    assert.equal((await stack.request("GET", "/auth/session", { token: other.token })).status, 200);

    const mine = list.body.sessions[0].sessionId;
    assert.equal((await stack.request("DELETE", `/auth/sessions/${mine}`, { token: a1.token })).status, 204);
    assert.equal((await stack.request("GET", "/auth/session", { token: a3.token })).status, 401);

    const others = await stack.request("POST", "/auth/logout-others", { token: a1.token });
    assert.deepEqual(others.body, { revoked: 1 });
    assert.equal((await stack.request("GET", "/auth/session", { token: a2.token })).status, 401);
    assert.equal((await stack.request("GET", "/auth/session", { token: a1.token })).status, 200);
  });
});

describe("CLI", () => {
  test("sessions list --json equals the admin API's answer", async () => {
    const { user } = await login("dan");
    await login("dan");
    const http = await admin("GET", `/admin/users/${user.id}/sessions`);
    const out = await cli("sessions", "list", String(user.id), "--json");
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), http.body);
  });

  test("revoke, revoke-all, ban and unban act like the HTTP API", async () => {
    const a = await login("eve");
    const b = await login("eve");
    const [newest] = (await admin("GET", `/admin/users/${a.user.id}/sessions`)).body.sessions;
    assert.equal((await cli("sessions", "revoke", newest.sessionId)).code, 0);
    assert.equal((await stack.request("GET", "/auth/session", { token: b.token })).status, 401);
    const all = await cli("sessions", "revoke-all", String(a.user.id), "--json");
    assert.deepEqual(JSON.parse(all.stdout), { revoked: 1 });

    const c = await login("eve");
    const ban = await cli("users", "ban", String(a.user.id), "--reason", "chargeback fraud", "--json");
    assert.equal(ban.code, 0, ban.stderr);
    assert.equal(JSON.parse(ban.stdout).revoked, 1);
    assert.equal((await stack.request("GET", "/auth/session", { token: c.token })).status, 401);
    assert.equal((await stack.login("eve")).body.error.code, "USER_BANNED");
    assert.equal((await cli("users", "unban", String(a.user.id))).code, 0);
    assert.equal((await stack.login("eve")).status, 200);
  });

  test("bad arguments exit 2 with usage; unknown users exit 1 with the error code", async () => {
    for (const args of [
      [],
      ["sessions"],
      ["sessions", "list"],
      ["bogus", "thing", "1"],
      ["sessions", "list", "abc"],
      ["sessions", "revoke", "x", "--reason", "r"],
    ]) {
      const out = await cli(...args);
      assert.equal(out.code, 2, args.join(" "));
      assert.match(out.stderr, /usage|INVALID_REQUEST/);
    }
    const nowhere = await cliWith({ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere" }, "users", "ban", "1");
    assert.equal(nowhere.code, 1);
    assert.equal(nowhere.stderr.trim().split("\n").length, 1, `one line: ${nowhere.stderr}`);
    assert.match(nowhere.stderr, /SERVICE_UNAVAILABLE/);
    const frobnicate = await cli("frobnicate");
    assert.equal(frobnicate.code, 2);
    assert.match(frobnicate.stderr, /unknown command "frobnicate"(?! undefined)/);
    const unknown = await cli("sessions", "list", "999999", "--json");
    assert.equal(unknown.code, 1);
    assert.equal(JSON.parse(unknown.stdout).error.code, "USER_NOT_FOUND");
  });
});

describe("the built CLI (the tongxing-admin bin)", () => {
  // Built inside the repository, so that the built files find node_modules as the package does.
  const outDir = `test/output/cli-${randomBytes(4).toString("hex")}`;
  before(async () => {
    await promisify(execFile)(process.execPath, ["scripts/build.mjs", "--outDir", outDir], { timeout: 240_000 });
  });
  after(() => rm(outDir, { recursive: true, force: true }));
  /** What the CLI touches, and nothing else: no WECHAT_*, no SESSION_KEY_ENCRYPTION_KEY. */
  const only = () => ({
    NODE_ENV: "production",
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: stack.env.REDIS_URL as string,
    REDIS_KEY_PREFIX: stack.prefix,
  });

  // How fast it starts is not a test's to time (a loaded machine fails it): --help needs no backend.
  test("--help prints the npx form without reaching a backend", async () => {
    const out = await runBuiltAdminCli(
      outDir,
      { ...only(), DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none", REDIS_URL: "redis://127.0.0.1:1" },
      "--help",
    );
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^usage: npx tongxing-admin <command>/);
  });

  test("runs with only DATABASE_URL, REDIS_URL and REDIS_KEY_PREFIX, in production", async () => {
    const { user } = await login("ivy", "agent-ivy");
    await stack.request("PATCH", "/me", { token: (await login("ivy")).token, body: { nickname: "Ivy Chen" } });
    const sessions = await runBuiltAdminCli(outDir, only(), "sessions", "list", String(user.id), "--json");
    assert.equal(sessions.code, 0, sessions.stderr);
    assert.deepEqual(JSON.parse(sessions.stdout), (await admin("GET", `/admin/users/${user.id}/sessions`)).body);
    const listed = await runBuiltAdminCli(outDir, only(), "users", "list", "--nickname", "ivy", "--json");
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), (await admin("GET", "/admin/users?nickname=ivy")).body);
    const all = await runBuiltAdminCli(outDir, only(), "sessions", "revoke-all", String(user.id), "--json");
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(JSON.parse(all.stdout), { revoked: 2 });
    const ban = await runBuiltAdminCli(outDir, only(), "users", "ban", String(user.id), "--json");
    assert.equal(ban.code, 0, ban.stderr);
    assert.equal((await stack.login("ivy")).body.error.code, "USER_BANNED");
    assert.equal((await runBuiltAdminCli(outDir, only(), "users", "unban", String(user.id))).code, 0);
  });
});

describe("audit trail", () => {
  test("records login, logout, revokes by whom, ban, unban and eviction", async () => {
    const { token, user } = await login("fay");
    await stack.request("POST", "/auth/logout", { token });
    const s = await login("fay");
    const [listed] = (await admin("GET", `/admin/users/${user.id}/sessions`)).body.sessions;
    await admin("DELETE", `/admin/sessions/${listed.sessionId}`);
    await admin("POST", `/admin/users/${user.id}/ban`, { body: { reason: "test" } });
    // Audit events are written in batches: flush the server's before the CLI writes its own.
    await stack.running.deps.audit.flush();
    await cli("users", "unban", String(user.id));
    const rows = (
      await db.query("SELECT action, actor, session_id, ip, detail FROM audit_events WHERE user_id = $1 ORDER BY id", [user.id])
    ).rows;
    assert.deepEqual(
      rows.map((r) => `${r.action}/${r.actor}`),
      ["login/user", "logout/user", "login/user", "revoke/admin_api", "ban/admin_api", "unban/cli"],
    );
    assert.equal(rows[3].session_id, listed.sessionId);
    assert.equal(rows[4].detail, "test");
    assert.match(rows[0].ip, /127\.0\.0\.1/);
    assert.ok(!JSON.stringify(rows).includes(s.token));
  });

  test("evictions at the cap are audited as the system's", async () => {
    const capped = await startStack({ ADMIN_TOKEN, SESSIONS_PER_USER_MAX: "1" });
    try {
      await capped.login("gus");
      const second = await capped.login("gus");
      await capped.running.deps.audit.flush();
      const c = await connectSql(capped.databaseUrl);
      const rows = (await c.query("SELECT action, actor FROM audit_events WHERE user_id = $1 ORDER BY id", [second.body.user.id])).rows;
      await c.end();
      assert.deepEqual(
        rows.map((r) => `${r.action}/${r.actor}`),
        ["login/user", "login/user", "eviction/system"],
      );
    } finally {
      await capped.stop();
    }
  });
});
