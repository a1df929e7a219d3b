/**
 * The SDKs and why a session ended (the `reason` of 401 TOKEN_INVALID), against a real tongxing:
 * the mini-program client logs in again by itself only when the session simply lapsed (UNKNOWN,
 * EXPIRED); when someone ended it (REPLACED, REVOKED, BANNED, DELETED, LOGGED_OUT) it tells the
 * app once (onSessionEnded) and refuses every request locally until the app logs in. The web
 * client hands the reason to onLoginRequired. One user per test: SESSIONS_PER_USER_MAX is 1, so
 * a second login of the same user pushes the first out (REPLACED).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient, type SessionEnd, TongxingError } from "../client/src/index.js";
import { createWebClient } from "../client/src/web.js";
import { simulatedWx } from "./fixtures/simulatedWx.js";
import { type Stack, startStack } from "./support.js";

const ADMIN = { authorization: `Bearer ${"a".repeat(40)}` };
let stack: Stack;
before(async () => {
  stack = await startStack({ ADMIN_TOKEN: "a".repeat(40), SESSIONS_PER_USER_MAX: "1" });
});
after(() => stack.stop());

/** A logged-in client on a simulated wx, with the ends it reported. */
async function loggedIn(user: string) {
  const sim = simulatedWx(user);
  const ends: SessionEnd[] = [];
  const tx = createClient({ baseUrl: stack.url, wx: sim.wx, onSessionEnded: (end) => void ends.push(end) });
  const me = await tx.me();
  assert.equal(sim.counts.login, 1);
  return { ...sim, tx, ends, me, token: tx.getToken() as string };
}

/** The session a test ends: its user and token. */
type Ended = { id: number; token: string };

const endedWith = (reason: string) => (err: unknown) =>
  err instanceof TongxingError && err.status === 401 && err.code === "TOKEN_INVALID" && err.reason === reason;

describe("mini-program client: a session someone ended", () => {
  test("REPLACED (a login on another device): told once, no re-login, refused locally until login(), then requests work", async () => {
    const a = await loggedIn("sdk-end-replaced");
    const other = await stack.login("sdk-end-replaced");
    assert.equal(other.status, 200, other.text);

    // Requests refused together: one report, one reason, no wx.login.
    const batch = await Promise.allSettled(Array.from({ length: 5 }, () => a.tx.me()));
    for (const r of batch) assert.ok(r.status === "rejected" && endedWith("REPLACED")(r.reason), String(r));
    assert.deepEqual(a.ends, [{ reason: "REPLACED" }]);
    assert.equal(a.counts.login, 1, "no re-login by itself");
    assert.equal(a.tx.getToken(), null, "the dead token is forgotten");
    assert.deepEqual(a.tx.getSessionEnd(), { reason: "REPLACED" });

    // Later requests: refused locally, the same error, no network call, no wx.login.
    const requests = a.counts.request;
    await assert.rejects(a.tx.request({ url: "/auth/session" }), endedWith("REPLACED"));
    await assert.rejects(a.tx.ensureLogin(), endedWith("REPLACED"));
    await assert.rejects(a.tx.sessions(), endedWith("REPLACED"));
    assert.deepEqual([a.counts.request, a.counts.login, a.ends.length], [requests, 1, 1]);

    // An app restarted (a new client on the same storage) is still ended: no ping-pong between devices.
    const restarted = createClient({ baseUrl: stack.url, wx: a.wx });
    await assert.rejects(restarted.me(), endedWith("REPLACED"));
    assert.deepEqual([a.counts.request, a.counts.login], [requests, 1]);
    assert.equal((await stack.request("GET", "/auth/session", { token: other.body.token })).status, 200, "the other device stays in");

    // The person chose to log in here: the end is cleared, requests work again.
    const { user } = await a.tx.login();
    assert.equal(user.id, a.me.id);
    assert.equal(a.tx.getSessionEnd(), null);
    assert.equal((await a.tx.me()).id, a.me.id);
    assert.equal((await restarted.me()).id, a.me.id);
    assert.equal(a.counts.login, 2);
    assert.equal(a.ends.length, 1);
  });

  test("BANNED: bannedUntil (ISO 8601) and banReason reach onSessionEnded and the error; a refused login() keeps the end", async () => {
    const a = await loggedIn("sdk-end-banned");
    const ban = await stack.request("POST", `/admin/users/${a.me.id}/ban`, {
      headers: ADMIN,
      body: { reason: "刷单 (order fraud)", until: new Date(Date.now() + 3_600_000).toISOString() },
    });
    assert.equal(ban.status, 200, ban.text);

    let error: TongxingError | undefined;
    await assert.rejects(a.tx.me(), (err: TongxingError) => {
      error = err;
      return endedWith("BANNED")(err);
    });
    assert.equal(a.ends.length, 1);
    const [end] = a.ends as [SessionEnd];
    assert.equal(end.reason, "BANNED");
    assert.equal(end.banReason, "刷单 (order fraud)");
    assert.match(end.bannedUntil ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Date.parse(end.bannedUntil ?? "") > Date.now());
    assert.deepEqual([error?.bannedUntil, error?.banReason], [end.bannedUntil, end.banReason]);
    assert.equal(a.counts.login, 1);

    // The app tries a login: tongxing refuses the banned user, and the client stays ended.
    await assert.rejects(a.tx.login(), (err: TongxingError) => err.code === "USER_BANNED");
    const requests = a.counts.request;
    await assert.rejects(a.tx.me(), (err: TongxingError) => endedWith("BANNED")(err) && err.banReason === end.banReason);
    assert.equal(a.counts.request, requests);
  });

  for (const [reason, end] of [
    ["REVOKED", (s: Ended) => stack.request("DELETE", `/admin/users/${s.id}/sessions`, { headers: ADMIN })],
    ["LOGGED_OUT", (s: Ended) => stack.request("POST", "/auth/logout", { token: s.token })],
    ["DELETED", (s: Ended) => stack.request("DELETE", "/me", { token: s.token })],
  ] as const) {
    test(`${reason}: told once, no re-login, refused locally until login()`, async () => {
      const a = await loggedIn(`sdk-end-${reason}`);
      const res = await end({ id: a.me.id, token: a.token });
      assert.ok(res.status < 300, res.text);
      await assert.rejects(a.tx.me(), endedWith(reason));
      const requests = a.counts.request;
      await assert.rejects(a.tx.me(), endedWith(reason));
      assert.deepEqual([a.ends, a.counts.login, a.counts.request], [[{ reason }], 1, requests]);
      await a.tx.login();
      assert.equal(typeof (await a.tx.me()).id, "number");
    });
  }
});

describe("mini-program client: a session that lapsed", () => {
  test("UNKNOWN (nothing kept: the user's Redis key deleted) mid-run: one silent re-login, no failed request", async () => {
    const a = await loggedIn("sdk-end-unknown");
    const statuses: string[] = [];
    for (let round = 0; round < 3; round++) {
      if (round === 1) assert.equal(await stack.redis.del(`${stack.prefix}{u${a.me.id}}`), 1);
      const batch = await Promise.allSettled(Array.from({ length: 10 }, () => a.tx.request({ url: "/auth/session" })));
      statuses.push(...batch.map((b) => b.status));
    }
    assert.deepEqual(statuses, Array(30).fill("fulfilled"));
    assert.equal(a.counts.login, 2, "the first login and one re-login");
    assert.deepEqual(a.ends, []);
    assert.equal(a.tx.getSessionEnd(), null);
  });

  test("EXPIRED (the idle timeout passed): one silent re-login", async () => {
    const short = await startStack({ SESSION_IDLE_TTL: "2" });
    try {
      const { wx, counts } = simulatedWx("sdk-end-expired");
      const ends: SessionEnd[] = [];
      const tx = createClient({ baseUrl: short.url, wx, onSessionEnded: (end) => void ends.push(end) });
      await tx.ensureLogin();
      const token = tx.getToken() as string;
      await new Promise((r) => setTimeout(r, 1200));
      // A second session keeps the user's hash (so the expired record) alive past the first's expiry.
      assert.equal((await short.login("sdk-end-expired")).status, 200);
      await new Promise((r) => setTimeout(r, 1000));
      const refused = await short.request("GET", "/auth/session", { token });
      assert.equal(refused.body.error.reason, "EXPIRED", "the server says EXPIRED");
      assert.equal(typeof (await tx.me()).id, "number");
      assert.equal(counts.login, 2);
      assert.deepEqual(ends, []);
    } finally {
      await short.stop();
    }
  });
});

describe("web client: onLoginRequired gets the reason", () => {
  const g = globalThis as Record<string, unknown>;
  const assigned: string[] = [];
  before(() => {
    g.location = { href: "https://shop.example/", hash: "", pathname: "/", search: "", assign: (url: string) => assigned.push(url) };
    g.history = { state: null, replaceState() {} };
  });
  after(() => {
    delete g.location;
    delete g.history;
  });

  /** A web client holding a session made by a mini-program login (a token is a token). */
  async function webClient(user: string) {
    const login = await stack.login(user);
    assert.equal(login.status, 200, login.text);
    const storage = new Map<string, string>([["tongxing.token", login.body.token]]);
    const asked: TongxingError[] = [];
    const tx = createWebClient({
      baseUrl: stack.url,
      appid: "wx0a0a0a0a0a0a0a0a",
      storage: {
        getItem: (k) => storage.get(k) ?? null,
        setItem: (k, v) => void storage.set(k, v),
        removeItem: (k) => void storage.delete(k),
      },
      onLoginRequired: (err) => {
        asked.push(err);
        return false;
      },
    });
    assert.equal(typeof (await tx.me()).id, "number");
    return { tx, asked, user: login.body.user as { id: number } };
  }

  test("REPLACED and BANNED: the page is asked with reason, bannedUntil and banReason; nothing redirects", async () => {
    const replaced = await webClient("web-end-replaced");
    await stack.login("web-end-replaced");
    await assert.rejects(replaced.tx.me(), endedWith("REPLACED"));
    assert.deepEqual(
      replaced.asked.map((e) => e.reason),
      ["REPLACED"],
    );
    assert.equal(replaced.tx.getToken(), null);

    const banned = await webClient("web-end-banned");
    assert.equal(
      (
        await stack.request("POST", `/admin/users/${banned.user.id}/ban`, {
          headers: ADMIN,
          body: { reason: "spam", until: new Date(Date.now() + 3_600_000).toISOString() },
        })
      ).status,
      200,
    );
    await assert.rejects(banned.tx.me(), endedWith("BANNED"));
    const [err] = banned.asked;
    assert.equal(err?.banReason, "spam");
    assert.ok(Date.parse(err?.bannedUntil ?? "") > Date.now());
    assert.deepEqual(assigned, [], "no redirect without the page's yes");
  });
});
