/**
 * Login end to end over HTTP: real server, real Redis, real PostgreSQL (or MySQL/MariaDB with
 * TEST_DATABASE=mysql), fake WeChat.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connectSql, type SqlClient } from "./sql.js";
import { APPID, codeFor, dumpRedis, SECRET, type Stack, startStack } from "./support.js";

let stack: Stack;
let db: SqlClient;
before(async () => {
  stack = await startStack();
  db = await connectSql(stack.databaseUrl);
});
after(async () => {
  await db.end();
  await stack.stop();
});

const countUsers = async (openid: string) =>
  Number((await db.query("SELECT count(DISTINCT user_id) AS count FROM identities WHERE openid = $1", [openid])).rows[0].count);

describe("POST /auth/login", () => {
  test("first login creates the user, a later login finds the same one", async () => {
    const first = await stack.login("alice", { profile: { nickname: "Alice", avatarUrl: "https://example.com/a.png" } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.isNewUser, true);
    assert.match(first.body.token, /^\d+\.[A-Za-z0-9_-]{32}$/);
    assert.ok(Date.parse(first.body.expiresAt) > Date.now());
    assert.deepEqual(Object.keys(first.body.user).sort(), ["avatarUrl", "createdAt", "id", "nickname", "phone"]);
    assert.equal(first.body.user.nickname, "Alice");
    assert.equal(first.body.user.phone, null);

    const before = (await db.query("SELECT last_login_at FROM users WHERE id = $1", [first.body.user.id])).rows[0].last_login_at;
    const second = await stack.login("alice");
    assert.equal(second.status, 200);
    assert.equal(second.body.isNewUser, false);
    assert.equal(second.body.user.id, first.body.user.id);
    assert.equal(second.body.user.nickname, "Alice", "a login without profile keeps the profile");
    assert.notEqual(second.body.token, first.body.token);
    const afterLogin = (await db.query("SELECT last_login_at FROM users WHERE id = $1", [first.body.user.id])).rows[0].last_login_at;
    assert.ok(afterLogin > before, "lastLoginAt moves forward");
  });

  test("a returning user's login with a profile changes only the fields it sends, exactly as sent", async () => {
    const first = await stack.login("carla", { profile: { nickname: "Carla", avatarUrl: "https://example.com/c.png" } });
    const family = "👨‍👩‍👧‍👦 卡拉";
    const renamed = await stack.login("carla", { profile: { nickname: family } });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.isNewUser, false);
    assert.deepEqual(
      { id: renamed.body.user.id, nickname: renamed.body.user.nickname, avatarUrl: renamed.body.user.avatarUrl },
      { id: first.body.user.id, nickname: family, avatarUrl: "https://example.com/c.png" },
    );
    assert.equal(renamed.body.user.createdAt, first.body.user.createdAt);
    const stored = (await db.query("SELECT nickname, avatar_url, updated_at FROM users WHERE id = $1", [first.body.user.id])).rows[0];
    assert.deepEqual([stored.nickname, stored.avatar_url], [family, "https://example.com/c.png"]);
    const moved = await stack.login("carla", { profile: { avatarUrl: "https://example.com/c2.png" } });
    assert.deepEqual([moved.body.user.nickname, moved.body.user.avatarUrl], [family, "https://example.com/c2.png"]);
    const after = (await db.query("SELECT updated_at FROM users WHERE id = $1", [first.body.user.id])).rows[0];
    assert.ok(after.updated_at > stored.updated_at, "updatedAt moves forward");
  });

  test("openid, unionid and session_key never reach the client; session_key and token never reach Redis in the clear", async () => {
    const code = codeFor("bob");
    const res = await stack.request("POST", "/auth/login", { body: { code } });
    assert.equal(res.status, 200);
    const openid = stack.fake.openidFor(code);
    const sessionKey = stack.fake.sessionKeys.get(openid);
    assert.ok(sessionKey);
    for (const secret of [openid, stack.fake.unionidFor(code), sessionKey]) assert.ok(!res.text.includes(secret));
    const row = (await db.query("SELECT appid, openid, unionid FROM identities WHERE user_id = $1", [res.body.user.id])).rows;
    assert.deepEqual(row, [{ appid: APPID, openid, unionid: stack.fake.unionidFor(code) }]);
    const dump = await dumpRedis(stack);
    assert.ok(!dump.includes(sessionKey), "session_key is stored sealed");
    assert.ok(!dump.includes(res.body.token), "the token is stored only as a hash");
    assert.ok(!dump.includes(res.body.token.split(".")[1]), "nor its secret part");
  });

  test("the login's request log line names the user it logged in", async () => {
    const res = await stack.login("logline");
    assert.equal(res.status, 200);
    const line = stack.logs.map((l) => JSON.parse(l)).find((l) => l.route === "/auth/login" && l.userId === res.body.user.id);
    assert.ok(line, "a request line with the user's id");
    assert.equal(line.status, 200);
  });

  test("concurrent first logins of one openid make one user row", async () => {
    stack.fake.holdTogether(20);
    const results = await Promise.all(Array.from({ length: 20 }, () => stack.login("carol")));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(20).fill(200),
    );
    assert.equal(new Set(results.map((r) => r.body.user.id)).size, 1);
    assert.equal(results.filter((r) => r.body.isNewUser).length, 1);
    assert.equal(await countUsers(stack.fake.openidFor("carol")), 1);
  });

  test("concurrent first logins never see a half-made user: 3 rounds of 30, each one user, none refused", async () => {
    // A returning-user check that looked for the identity and its user in two statements could
    // land between another login's insert and its commit, and call the new user banned (403).
    for (let round = 0; round < 3; round++) {
      const user = `crowd${round}`;
      stack.fake.holdTogether(30);
      const results = await Promise.all(Array.from({ length: 30 }, () => stack.login(user)));
      assert.deepEqual(
        results.map((r) => r.status),
        Array(30).fill(200),
        `round ${round}: ${results.find((r) => r.status !== 200)?.text}`,
      );
      assert.equal(new Set(results.map((r) => r.body.user.id)).size, 1);
      assert.equal(await countUsers(stack.fake.openidFor(user)), 1);
    }
  });

  test("emoji sequences with zero-width joiners and variation selectors round-trip exactly", async () => {
    const nickname = "👨‍👩‍👧‍👦 ❤️ 🏳️‍🌈 👍🏽";
    const res = await stack.login("zwj", { profile: { nickname } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.nickname, nickname);
  });

  test("nicknames keep 4-byte UTF-8 exactly, and length counts characters", async () => {
    const nickname = "🐱".repeat(64);
    const res = await stack.login("dora", { profile: { nickname } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.nickname, nickname);
    const stored = (await db.query("SELECT nickname FROM users WHERE id = $1", [res.body.user.id])).rows[0].nickname;
    assert.equal(stored, nickname);
    const tooLong = await stack.login("dora", { profile: { nickname: "🐱".repeat(65) } });
    assert.equal(tooLong.status, 400);
  });

  const badBodies: [string, { raw?: string; body?: unknown; headers?: Record<string, string> }][] = [
    ["malformed JSON", { raw: '{"code":', headers: { "content-type": "application/json" } }],
    ["no code", { body: {} }],
    ["empty code", { body: { code: "" } }],
    ["code of 129 characters", { body: { code: "x".repeat(129) } }],
    ["code of the wrong type", { body: { code: 12345 } }],
    ["a JSON array", { body: [{ code: "x" }] }],
    ["nickname of the wrong type", { body: { code: "x", profile: { nickname: 5 } } }],
    ["an http avatarUrl", { body: { code: "x", profile: { avatarUrl: "http://example.com/a.png" } } }],
    ["an avatarUrl over 512 characters", { body: { code: "x", profile: { avatarUrl: `https://e.com/${"a".repeat(500)}` } } }],
    ["a nickname with a control character", { body: { code: "x", profile: { nickname: "a\u0000b" } } }],
    // Invisible and direction-changing characters (Unicode Cf, line and paragraph separators, C1).
    ["a nickname with a right-to-left override", { body: { code: "x", profile: { nickname: "admin\u202Egnp.exe" } } }],
    ["a nickname with a zero-width space", { body: { code: "x", profile: { nickname: "ad\u200Bmin" } } }],
    ["a nickname with a line separator", { body: { code: "x", profile: { nickname: "a\u2028b" } } }],
    ["a nickname with a next-line control (U+0085)", { body: { code: "x", profile: { nickname: "a\u0085b" } } }],
    ["a nickname with a byte order mark", { body: { code: "x", profile: { nickname: "\uFEFFalice" } } }],
  ];
  for (const [name, opts] of badBodies) {
    test(`400 INVALID_REQUEST for ${name}`, async () => {
      const res = await stack.request("POST", "/auth/login", opts);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.equal(typeof res.body.error.message, "string");
    });
  }

  test("a body that is not JSON is refused with 415", async () => {
    const res = await stack.request("POST", "/auth/login", {
      raw: "code=abc",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(res.status, 415);
    assert.equal(res.body.error.code, "UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("WeChat errors", () => {
  const cases: [string, number, string][] = [
    ["fake-errcode-40029", 401, "WECHAT_CODE_INVALID"],
    ["fake-errcode-40226", 403, "WECHAT_USER_BLOCKED"],
    ["fake-errcode-45011", 429, "RATE_LIMITED"],
    ["fake-errcode-40013", 502, "WECHAT_UNAVAILABLE"],
  ];
  for (const [code, status, errorCode] of cases) {
    test(`${code} → ${status} ${errorCode}`, async () => {
      const res = await stack.request("POST", "/auth/login", { body: { code } });
      assert.equal(res.status, status, res.text);
      assert.equal(res.body.error.code, errorCode);
    });
  }

  test("a code WeChat says was used (40163) is refused and not retried", async () => {
    // (A code this server exchanged itself replays its login instead: test/loginReplay.test.ts.)
    const code = codeFor("erin");
    stack.fake.script(code, { errcode: 40163 });
    const calls = stack.fake.callCount("/sns/jscode2session");
    const again = await stack.request("POST", "/auth/login", { body: { code } });
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, "WECHAT_CODE_INVALID");
    assert.equal(stack.fake.callCount("/sns/jscode2session"), calls + 1, "40163 is never retried");
  });

  test("system busy (-1) is retried and then succeeds", async () => {
    const code = codeFor("frank");
    stack.fake.script(code, { errcode: -1 }, { status: 500 });
    const calls = stack.fake.callCount("/sns/jscode2session");
    const res = await stack.request("POST", "/auth/login", { body: { code } });
    assert.equal(res.status, 200, res.text);
    assert.equal(stack.fake.callCount("/sns/jscode2session"), calls + 3);
  });

  for (const fault of [{ errcode: -1 }, { status: 503 }, "html", "badjson", "timeout"] as const) {
    test(`persistent ${JSON.stringify(fault)} → 502 after bounded retries, and no user row`, async () => {
      const code = codeFor(`gone-${JSON.stringify(fault)}`);
      stack.fake.script(code, fault, fault, fault, fault);
      const calls = stack.fake.callCount("/sns/jscode2session");
      const res = await stack.request("POST", "/auth/login", { body: { code } });
      assert.equal(res.status, 502, res.text);
      assert.equal(res.body.error.code, "WECHAT_UNAVAILABLE");
      // A timeout most likely reached WeChat and spent the code: it is not repeated.
      const attempts = fault === "timeout" ? 1 : 3;
      assert.equal(stack.fake.callCount("/sns/jscode2session"), calls + attempts, `${attempts} attempt(s)`);
      assert.equal(await countUsers(stack.fake.openidFor(code)), 0);
    });
  }

  test("the app secret and the code never reach a log line", async () => {
    const code = codeFor("gina");
    stack.fake.script(code, { errcode: -1 });
    await stack.request("POST", "/auth/login", { body: { code } });
    await stack.request("POST", "/auth/login", { body: { code: "fake-errcode-40125" } });
    const logs = stack.logs.join("");
    assert.ok(logs.includes("WECHAT_SECRET"), "the misconfiguration is logged for the operator");
    assert.ok(!logs.includes(SECRET));
    assert.ok(!logs.includes(code));
  });
});

test("without ADMIN_TOKEN the admin API does not exist", async () => {
  const res = await stack.request("GET", "/admin/users/1/sessions", {
    headers: { authorization: "Bearer whatever-whatever-whatever-whatever" },
  });
  assert.equal(res.status, 404);
  assert.equal(res.body.error.code, "NOT_FOUND");
});
