/**
 * The Quick start, as a newcomer runs it: the real process (src/main.ts) with no WeChat
 * credentials starts in dev mode, creates its database, migrates it, says so loudly, serves
 * the demo, and exits 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, test } from "node:test";
import { dropDatabase } from "../src/db/database.js";
import { clearRedisPrefix, freshDatabaseUrl } from "./support.js";

const databaseUrl = freshDatabaseUrl();
const prefix = `tdev${process.pid}:`;
let child: ChildProcess | undefined;
after(async () => {
  child?.kill("SIGKILL");
  await dropDatabase(databaseUrl);
  await clearRedisPrefix(prefix);
});

function run(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, ["--import", "tsx", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

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
  child = run(["src/main.ts"], env);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in:\n${out}`)), 30_000);
    child?.stdout?.on("data", () => {
      const m = /"url":"([^"]+)".*tongxing listening/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
  });
  assert.match(out, /DEV MODE: no APPS or WECHAT_APPID/);
  assert.match(out, /douyin:ttdev00000000000000.*alipay:2021000000000000/, "the built-in fakes of every platform");
  assert.match(out, /created the database/);
  assert.match(out, /applied migrations/);

  const demo = run(["scripts/demo.ts", "alice"], { BASE_URL: url });
  let demoOut = "";
  demo.stdout?.on("data", (d) => {
    demoOut += d;
  });
  const [demoCode] = await once(demo, "exit");
  assert.equal(demoCode, 0, demoOut);
  assert.match(demoOut, /demo: ok/);
  const again = run(["scripts/demo.ts", "alice"], { BASE_URL: url });
  let againOut = "";
  again.stdout?.on("data", (d) => {
    againOut += d;
  });
  await once(again, "exit");
  const ids = [demoOut, againOut].map((o) => /"id":(\d+)/.exec(o)?.[1]);
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

  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 0, out);
  assert.match(out, /shutting down/);
});

test("production without credentials refuses to start and names the variables", async () => {
  const p = run(["src/main.ts"], { NODE_ENV: "production", WECHAT_APPID: "", WECHAT_SECRET: "", SESSION_KEY_ENCRYPTION_KEY: "" });
  let err = "";
  p.stderr?.on("data", (d) => {
    err += d;
  });
  const [code] = await once(p, "exit");
  assert.equal(code, 1);
  assert.match(err, /WECHAT_APPID, WECHAT_SECRET: required when NODE_ENV=production/);
  assert.match(err, /SESSION_KEY_ENCRYPTION_KEY: required/);
});
