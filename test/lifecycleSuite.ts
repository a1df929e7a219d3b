/**
 * The session lifecycle suite, run against a single Redis (lifecycle.test.ts) and a real Redis
 * Cluster (cluster.test.ts): timeouts with short settings, sliding renewal, eviction at the cap,
 * index consistency under concurrent logins and revokes, revoke-all and ban during bursts.
 * Settings: 2 s idle timeout, 4 s absolute timeout, 3 sessions per user.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { APPID, indexAndSessions, type Stack, startStack } from "./support.js";

export const ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef";
export const LIFECYCLE_ENV = { SESSION_IDLE_TTL: "2", SESSION_MAX_AGE: "4", SESSIONS_PER_USER_MAX: "3", ADMIN_TOKEN };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers the suite. `extraEnv` points it at a cluster. */
export function lifecycleSuite(name: string, extraEnv: () => Record<string, string>): void {
  describe(name, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ ...LIFECYCLE_ENV, ...extraEnv() });
    });
    after(() => stack.stop());

    const login = async (user: string) => {
      const res = await stack.login(user);
      assert.equal(res.status, 200, res.text);
      return res.body as { token: string; user: { id: number } };
    };
    const status = async (token: string) => (await stack.request("GET", "/auth/session", { token })).status;
    const admin = (method: string, path: string, body?: unknown) =>
      stack.request(method, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });

    test("idle timeout, sliding renewal only when due, and the absolute timeout", async () => {
      const idle = async () => {
        const { token } = await login("idle");
        await sleep(2300);
        assert.equal(await status(token), 401, "unused for longer than the idle timeout");
      };
      const busy = async () => {
        const { token } = await login("busy");
        const first = (await stack.request("GET", "/auth/session", { token })).body;
        assert.equal(first.lastSeenAt, first.createdAt, "no renewal while more than half the idle window remains");
        for (let t = 0; t < 5; t++) {
          await sleep(700);
          assert.equal(await status(token), 200, `still alive at ${(t + 1) * 0.7} s through use`);
        }
        const renewed = (await stack.request("GET", "/auth/session", { token })).body;
        assert.ok(renewed.lastSeenAt > renewed.createdAt, "renewed once due");
        assert.ok(Date.parse(renewed.expiresAt) <= Date.parse(renewed.createdAt) + 4000, "never past the absolute timeout");
        await sleep(Math.max(0, Date.parse(renewed.createdAt) + 4200 - Date.now()));
        assert.equal(await status(token), 401, "dead at the absolute timeout however busy");
      };
      await Promise.all([idle(), busy()]);
    });

    test("a session dead of idleness is dropped by the user's next write; the hash expires with its last session", async () => {
      const a = await login("dead");
      const userId = a.user.id;
      // Timed from the session's own createdAt: a slow first login must not eat into the wait.
      const created = Date.parse((await stack.request("GET", "/auth/session", { token: a.token })).body.createdAt);
      await sleep(Math.max(0, created + 1200 - Date.now()));
      await login("dead");
      await sleep(Math.max(0, created + 2300 - Date.now()));
      assert.equal(await status(a.token), 401, "idle for longer than SESSION_IDLE_TTL");
      await login("dead");
      const { index, live } = await indexAndSessions(stack, userId);
      assert.equal(live.length, 2);
      assert.deepEqual(index, live, "the dead session's field is gone");
      const key = stack.running.deps.sessions.store.keys.user(userId);
      assert.ok((await stack.redis.pttl(key)) > 1500, "the hash lives as long as its latest session");
      await sleep(2300);
      assert.equal(await stack.redis.exists(key), 0, "and no longer");
    });

    test("a login past the cap evicts the oldest session, index included", async () => {
      const tokens = [];
      for (let i = 0; i < 4; i++) tokens.push(await login("cap"));
      const userId = tokens[0]?.user.id as number;
      assert.equal(await status(tokens[0]?.token as string), 401, "the oldest was evicted");
      for (const t of tokens.slice(1)) assert.equal(await status(t.token), 200);
      const { index, live } = await indexAndSessions(stack, userId);
      assert.equal(index.length, 3);
      assert.deepEqual(index, live);
      const listed = await admin("GET", `/admin/users/${userId}/sessions`);
      assert.equal(listed.body.sessions.length, 3);
    });

    test("every single create, logout and revoke updates the index with the session", async () => {
      const a = await login("single");
      const b = await login("single");
      const userId = a.user.id;
      const check = async (expected: number) => {
        const { index, live } = await indexAndSessions(stack, userId);
        assert.deepEqual(index, live);
        assert.equal(index.length, expected);
      };
      await check(2);
      assert.equal((await stack.request("POST", "/auth/logout", { token: a.token })).status, 204);
      await check(1);
      const [listed] = (await admin("GET", `/admin/users/${userId}/sessions`)).body.sessions;
      assert.equal((await admin("DELETE", `/admin/sessions/${listed.sessionId}`)).status, 204);
      await check(0);
      assert.equal(await status(b.token), 401);
    });

    test("the ban marker refuses new sessions and existing ones, whatever raced it", async () => {
      const { token, user } = await login("marker");
      const { sessions } = stack.running.deps;
      // A session that slipped past a ban (created between the ban's revoke and the request):
      // simulate it by setting only the marker, leaving the session in place.
      const userKey = sessions.store.keys.user(user.id);
      await stack.redis.hset(userKey, "b", Date.now() + 60_000);
      assert.equal(await status(token), 401, "refused on the next request");
      await assert.rejects(
        sessions.create({
          userId: user.id,
          appid: APPID,
          platform: "wechat",
          openid: "o",
          unionid: null,
          sessionKey: "k",
          ip: "",
          userAgent: "",
        }),
        (err: { code?: string }) => err.code === "USER_BANNED",
      );
      await stack.redis.hset(userKey, "b", Date.now() - 1);
      assert.equal(await status(token), 200, "a lapsed marker holds no more");
    });

    test("concurrent logins and revokes of one user leave the index equal to the live sessions", async () => {
      const { token, user } = await login("storm");
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        ops.push(stack.login("storm"));
        if (i % 3 === 0) ops.push(admin("DELETE", `/admin/users/${user.id}/sessions`));
        if (i % 5 === 0) ops.push(stack.request("POST", "/auth/logout", { token }));
      }
      const results = (await Promise.all(ops)) as { status: number }[];
      assert.ok(
        results.every((r) => r.status < 500),
        "no 5xx",
      );
      const { index, live } = await indexAndSessions(stack, user.id);
      assert.deepEqual(index, live);
      assert.ok(index.length <= 3);
    });

    test("revoke-all during a burst: no request succeeds after the revoke returns", async () => {
      const sessions = [await login("burst"), await login("burst"), await login("burst")];
      const userId = sessions[0]?.user.id as number;
      let revokedAt = Number.POSITIVE_INFINITY;
      let stop = false;
      const late: number[] = [];
      const loop = async (token: string) => {
        while (!stop) {
          const started = performance.now();
          const s = await status(token);
          if (started > revokedAt && s === 200) late.push(s);
        }
      };
      const loops = sessions.map((s) => loop(s.token));
      await sleep(150);
      const res = await admin("DELETE", `/admin/users/${userId}/sessions`);
      revokedAt = performance.now();
      assert.equal(res.status, 200);
      assert.equal(res.body.revoked, 3);
      await sleep(200);
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(late, [], "a request that started after the revoke returned was let through");
      for (const s of sessions) assert.equal(await status(s.token), 401);
    });

    test("a ban racing logins leaves no live session; logins are refused until unban", async () => {
      const { user } = await login("banned");
      const racing = Array.from({ length: 10 }, () => stack.login("banned"));
      const banned = await admin("POST", `/admin/users/${user.id}/ban`, { reason: "spam" });
      assert.equal(banned.status, 200, banned.text);
      assert.equal(banned.body.banned, true);
      const results = await Promise.all(racing);
      assert.ok(results.every((r) => r.status === 200 || (r.status === 403 && r.body.error.code === "USER_BANNED")));
      for (const r of results.filter((r) => r.status === 200)) assert.equal(await status(r.body.token), 401);
      const { index, live } = await indexAndSessions(stack, user.id);
      assert.deepEqual(live, []);
      assert.deepEqual(index, []);
      const refused = await stack.login("banned");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, "USER_BANNED");
      assert.equal((await admin("DELETE", `/admin/users/${user.id}/ban`)).status, 200);
      assert.equal((await stack.login("banned")).status, 200);
    });
  });
}
