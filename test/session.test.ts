/**
 * Authenticated requests: token transport, session view, logout, TTLs, /me.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { APPID, type Stack, startStack } from "./support.js";

let stack: Stack;
before(async () => {
  stack = await startStack({ SESSION_IDLE_TTL: "3600" });
});
after(() => stack.stop());

async function loggedIn(user: string) {
  const res = await stack.login(user);
  assert.equal(res.status, 200, res.text);
  return res.body as { token: string; user: { id: number }; expiresAt: string };
}

describe("token transport", () => {
  test("X-WX-Token and Authorization: Bearer both work", async () => {
    const { token, user } = await loggedIn("hana");
    const a = await stack.request("GET", "/auth/session", { token });
    const b = await stack.request("GET", "/auth/session", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(a.body.userId, user.id);
    assert.deepEqual(a.body, b.body);
  });

  test("no token → 401 TOKEN_MISSING", async () => {
    const res = await stack.request("GET", "/auth/session");
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "TOKEN_MISSING");
  });

  const bad: [string, Record<string, string>][] = [
    ["a random token of the right shape", { "x-wx-token": `1.${"A".repeat(32)}` }],
    ["garbage", { "x-wx-token": "not-a-token" }],
    ["an oversized token", { "x-wx-token": "a".repeat(8000) }],
    ["a non-Bearer Authorization", { authorization: "Basic dXNlcjpwYXNz" }],
    ["a user id past int32", { "x-wx-token": `99999999999.${"A".repeat(32)}` }],
  ];
  for (const [name, headers] of bad) {
    test(`${name} → 401 TOKEN_INVALID`, async () => {
      const res = await stack.request("GET", "/auth/session", { headers });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error.code, "TOKEN_INVALID");
    });
  }

  test("a non-ASCII token header gets a 4xx, not a 500", async () => {
    const { token } = await loggedIn("ivan");
    // fetch refuses non-Latin-1 header values, so send raw bytes over a socket.
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${stack.url}/auth/session`,
        { headers: { "X-WX-Token": Buffer.from(`${token}é`, "utf8").toString("latin1") } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    assert.ok(status >= 400 && status < 500, `got ${status}`);
  });

  test("a token another user's id is grafted onto does not work", async () => {
    const a = await loggedIn("judy");
    const b = await loggedIn("kate");
    const grafted = `${b.user.id}.${a.token.slice(a.token.indexOf(".") + 1)}`;
    const res = await stack.request("GET", "/auth/session", { token: grafted });
    assert.equal(res.status, 401);
  });
});

describe("GET /auth/session", () => {
  test("shows a public session id, not the token, and matches the login", async () => {
    const login = await loggedIn("leo");
    const res = await stack.request("GET", "/auth/session", { token: login.token });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), [
      "appid",
      "createdAt",
      "elevatedUntil",
      "expiresAt",
      "lastSeenAt",
      "platform",
      "restrictions",
      "sessionId",
      "userId",
    ]);
    assert.equal(res.body.appid, APPID, "the one configured app");
    assert.ok(!res.text.includes(login.token.slice(login.token.indexOf(".") + 1)));
    assert.equal(res.body.expiresAt, login.expiresAt);
    assert.ok(Date.parse(res.body.createdAt) <= Date.parse(res.body.lastSeenAt));
  });

  test("the session's Redis TTL is SESSION_IDLE_TTL", async () => {
    const login = await loggedIn("mia");
    const ttl = await stack.redis.ttl(`${stack.prefix}{u${login.user.id}}`);
    assert.ok(ttl > 3590 && ttl <= 3600, `ttl ${ttl}`);
  });
});

describe("storage", () => {
  const IOS =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.53(0x18003531) NetType/4G Language/zh_CN";
  const ANDROID =
    "Mozilla/5.0 (Linux; Android 13; V2196A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230303 MMWEBID/2468 MicroMessenger/8.0.34.2340(0x2800225B) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 MiniProgramEnv/android";

  /** The distinct User-Agent refs whose pieces are stored in a user hash ('a' + 6-char ref + index). */
  const userAgentRefs = async (key: string) =>
    new Set(
      Object.keys(await stack.redis.hgetall(key))
        .filter((f) => f.length === 8 && f.startsWith("a"))
        .map((f) => f.slice(1, 7)),
    );

  test("a user's sessions share one compact hash; each User-Agent is stored once and listed exactly", async () => {
    const tokens: string[] = [];
    for (const ua of [IOS, ANDROID, IOS]) {
      const res = await stack.request("POST", "/auth/login", { body: { code: `pia#${Math.random()}` }, headers: { "user-agent": ua } });
      assert.equal(res.status, 200, res.text);
      tokens.push(res.body.token);
    }
    const userId = Number(tokens[0]?.split(".")[0]);
    const key = `${stack.prefix}{u${userId}}`;
    assert.deepEqual(await stack.redis.keys(`${stack.prefix}{u${userId}}*`), [key], "one key per user");
    assert.equal(await stack.redis.object("ENCODING", key), "listpack", "every value fits Redis's compact encoding");
    assert.equal((await userAgentRefs(key)).size, 2, "two distinct User-Agents, stored once each");
    const listed = await stack.request("GET", "/auth/sessions", { token: tokens[0] });
    assert.deepEqual(
      listed.body.sessions.map((s: { userAgent: string }) => s.userAgent),
      [IOS, ANDROID, IOS],
    );
    for (const token of tokens.slice(1)) assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
    assert.equal((await userAgentRefs(key)).size, 1, "the Android User-Agent went with its session");
  });
});

describe("storage: per-user fields", () => {
  test("a unionid once known is kept when a later login brings none (as the identity keeps it)", async () => {
    const { sessions } = stack.running.deps;
    const base = {
      userId: 990_001,
      appid: APPID,
      platform: "wechat",
      openid: "o-keep",
      sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
      ip: "203.0.113.9",
      userAgent: "ua",
    };
    const first = await sessions.create({ ...base, unionid: "u-keep" });
    const second = await sessions.create({ ...base, unionid: null });
    for (const token of [first.token, second.token]) {
      const r = await sessions.resolve(token);
      assert.equal(r?.openid, "o-keep");
      assert.equal(r?.unionid, "u-keep");
    }
    await sessions.revokeAll(990_001);
    const left = Object.keys(await stack.redis.hgetall(sessions.store.keys.user(990_001)));
    assert.deepEqual(
      left.filter((f) => !f.startsWith("~")),
      [],
      "nothing left of a user without sessions but why they ended",
    );
  });
});

describe("POST /auth/logout", () => {
  test("kills that token at once and leaves the user's other sessions alive", async () => {
    const phone = await loggedIn("nina");
    const tablet = await loggedIn("nina");
    const out = await stack.request("POST", "/auth/logout", { token: phone.token });
    assert.equal(out.status, 204);
    assert.equal(out.text, "");
    assert.equal((await stack.request("GET", "/auth/session", { token: phone.token })).status, 401);
    assert.equal((await stack.request("GET", "/me", { token: phone.token })).status, 401);
    assert.equal((await stack.request("GET", "/auth/session", { token: tablet.token })).status, 200);
    assert.equal((await stack.request("POST", "/auth/logout", { token: phone.token })).status, 401, "logging out twice is a 401");
  });

  test("a session in this instance's cache is refused on the very next request after its logout, every time", async () => {
    // Redis's invalidation message may arrive after the logout's own reply: the instance drops
    // its entry itself, so no request after a 204 can be answered from the cache.
    for (let i = 0; i < 30; i++) {
      const { token } = await loggedIn(`cached-${i}`);
      await stack.request("GET", "/auth/session", { token });
      assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200);
      assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
      assert.equal((await stack.request("GET", "/auth/session", { token })).status, 401, `round ${i}`);
    }
  });
});

describe("/me", () => {
  test("GET and PATCH, with an emoji nickname kept exactly", async () => {
    const { token, user } = await loggedIn("omar");
    const got = await stack.request("GET", "/me", { token });
    assert.equal(got.status, 200);
    assert.equal(got.body.id, user.id);
    assert.ok(!("openid" in got.body) && !("unionid" in got.body));
    const nickname = "奥马尔 👨‍👩‍👧 🀄";
    const patched = await stack.request("PATCH", "/me", { token, body: { nickname, avatarUrl: "https://example.com/o.png" } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.nickname, nickname);
    assert.equal((await stack.request("GET", "/me", { token })).body.avatarUrl, "https://example.com/o.png");
  });

  test("PATCH validates like login", async () => {
    const { token } = await loggedIn("pia");
    for (const body of [{ nickname: "" }, { nickname: 7 }, { avatarUrl: "javascript:alert(1)" }]) {
      const res = await stack.request("PATCH", "/me", { token, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, "INVALID_REQUEST");
    }
  });

  test("avatarUrl is stored and returned as the normalized URL, so markup in it stays inert", async () => {
    const { token } = await loggedIn("quin");
    const sent = 'https://x.example/"><img src=x onerror=alert(5)>';
    const normalized = "https://x.example/%22%3E%3Cimg%20src=x%20onerror=alert(5)%3E";
    const patched = await stack.request("PATCH", "/me", { token, body: { avatarUrl: sent } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.avatarUrl, normalized);
    assert.equal((await stack.request("GET", "/me", { token })).body.avatarUrl, normalized);
    const relogin = await stack.login("quin", { profile: { avatarUrl: " HTTPS://X.example:443/a b" } });
    assert.equal(relogin.body.user.avatarUrl, "https://x.example/a%20b", "a login's profile is normalized the same way");
  });

  test("avatarUrl: 400 INVALID_REQUEST naming the field for a URL that is not https, or too long once normalized", async () => {
    const { token } = await loggedIn("rosa");
    for (const avatarUrl of [
      "http://example.com/a.png",
      "data:image/png;base64,AAAA",
      "//example.com/a.png",
      `https://e.com/${'"'.repeat(200)}`,
    ]) {
      const res = await stack.request("PATCH", "/me", { token, body: { avatarUrl } });
      assert.equal(res.status, 400, avatarUrl);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.match(res.body.error.message, /^avatarUrl: must be an https URL/, avatarUrl);
    }
    assert.equal((await stack.request("GET", "/me", { token })).body.avatarUrl, null, "nothing was stored");
  });

  test("needs a session", async () => {
    assert.equal((await stack.request("PATCH", "/me", { body: { nickname: "x" } })).body.error.code, "TOKEN_MISSING");
  });
});

describe("health", () => {
  test("/healthz and /readyz answer 200 with both backends up", async () => {
    assert.equal((await stack.request("GET", "/healthz")).status, 200);
    const ready = await stack.request("GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { redis: "ok", database: "ok", postgres: "ok", shuttingDown: false });
  });

  test("unknown routes are a JSON 404", async () => {
    const res = await stack.request("GET", "/no/such/route");
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "NOT_FOUND");
  });
});
