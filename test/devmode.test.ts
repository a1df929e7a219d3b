/**
 * The Quick start, as a newcomer runs it: the real process (src/main.ts) with no WeChat
 * credentials starts in dev mode, creates its database, migrates it, says so loudly, serves
 * the demo, and exits 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { dropDatabase } from "../src/db/database.js";
import { runUntilExit, type SpawnedProcess, spawnProcess, untilListening } from "./process.js";
import { clearRedisPrefix, freshDatabaseUrl } from "./support.js";

const databaseUrl = freshDatabaseUrl();
const prefix = `tdev${process.pid}:`;
let server: SpawnedProcess | undefined;
after(async () => {
  server?.child.kill("SIGKILL");
  await dropDatabase(databaseUrl);
  await clearRedisPrefix(prefix);
});

/** Runs the demo script against `url` to its end. */
const demo = (url: string) => runUntilExit({ BASE_URL: url }, ["--import", "tsx", "scripts/demo.ts", "alice"]);

test("dev mode: start, demo, SIGTERM", async () => {
  const env = {
    PORT: "0",
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: "info",
    WECHAT_APPID: "",
    WECHAT_SECRET: "",
    NODE_ENV: "development",
  };
  server = spawnProcess(env);
  const url = await untilListening(server, undefined, 30_000);
  const out = server.output();
  assert.match(out, /DEV MODE: no APPS or WECHAT_APPID/);
  assert.match(out, /douyin:ttdev00000000000000.*alipay:2021000000000000/, "the built-in fakes of every platform");
  assert.match(out, /created the database/);
  assert.match(out, /applied migrations/);

  const alice = await demo(url);
  assert.equal(alice.code, 0, alice.output);
  assert.match(alice.stdout, /demo: ok/);
  const aliceAgain = await demo(url);
  const ids = [alice.stdout, aliceAgain.stdout].map((o) => /"id":(\d+)/.exec(o)?.[1]);
  assert.equal(ids[0], ids[1], "the same code string is always the same user");

  // Every platform has its fake: a login with each dev app is a session of that platform, and
  // one person is another user on another platform (no unionid crosses platforms).
  const platformIds = new Set<number>();
  for (const [appid, platform] of [
    ["ttdev00000000000000", "douyin"],
    ["2021000000000000", "alipay"],
    ["qqdev0000", "qq"],
    ["baidudev0000", "baidu"],
    ["ksdev0000", "kuaishou"],
  ]) {
    const res = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "erin", appid }),
    });
    assert.equal(res.status, 200, `${platform}: ${await res.clone().text()}`);
    const login = (await res.json()) as { token: string; user: { id: number } };
    const session = (await (await fetch(`${url}/auth/session`, { headers: { "x-wx-token": login.token } })).json()) as { platform: string };
    assert.equal(session.platform, platform);
    platformIds.add(login.user.id);
  }
  assert.equal(platformIds.size, 5, "one user per platform");

  // The very same code again, after that login's session was logged out (within the replay
  // window): dev mode's codes are reusable, so it logs in afresh rather than being spent.
  const loginWith = (code: string) =>
    fetch(`${url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
  const first = (await (await loginWith("bob")).json()) as { token: string };
  await fetch(`${url}/auth/logout`, { method: "POST", headers: { "x-wx-token": first.token } });
  const second = await loginWith("bob");
  assert.equal(second.status, 200);
  assert.notEqual(((await second.json()) as { token: string }).token, first.token, "a new session");

  // Another client with a code another client logged in with (within the window): never that
  // client's token; dev mode's codes are reusable, so it logs in afresh as the same user.
  const dave = (await (await loginWith("dave")).json()) as { token: string; user: { id: number } };
  const fromCurl = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "curl/8.5.0" },
    body: JSON.stringify({ code: "dave" }),
  });
  assert.equal(fromCurl.status, 200);
  const curlLogin = (await fromCurl.json()) as { token: string; user: { id: number } };
  assert.notEqual(curlLogin.token, dave.token, "not the other client's session");
  assert.equal(curlLogin.user.id, dave.user.id, "the same user");

  // Dev mode takes any appid against the built-in fake: one person, an openid per app, one user.
  const fromApp = async (appid: string) => {
    const res = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "carol", appid }),
    });
    const body = (await res.json()) as { token: string; user: { id: number } };
    const session = (await (await fetch(`${url}/auth/session`, { headers: { "x-wx-token": body.token } })).json()) as { appid: string };
    return { status: res.status, userId: body.user.id, appid: session.appid };
  };
  const shop = await fromApp("wxshop000000000001");
  const lite = await fromApp("wxlite000000000002");
  assert.deepEqual([shop.status, shop.appid, lite.status, lite.appid], [200, "wxshop000000000001", 200, "wxlite000000000002"]);
  assert.equal(lite.userId, shop.userId, "linked by the fake's shared unionid");

  server.child.kill("SIGTERM");
  const code = await server.exited;
  assert.equal(code, 0, server.output());
  assert.match(server.output(), /shutting down/);
});

test("production without credentials refuses to start and names the variables", async () => {
  const { code, stderr } = await runUntilExit({
    NODE_ENV: "production",
    WECHAT_APPID: "",
    WECHAT_SECRET: "",
    SESSION_KEY_ENCRYPTION_KEY: "",
  });
  assert.equal(code, 1);
  assert.match(stderr, /WECHAT_APPID, WECHAT_SECRET: required when NODE_ENV=production/);
  assert.match(stderr, /SESSION_KEY_ENCRYPTION_KEY: required/);
});
