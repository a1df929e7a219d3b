/**
 * Web login (GET /auth/web/:appid/authorize → WeChat → callback → ticket) over real HTTP against
 * the fake WeChat's authorize pages, following each redirect by hand as a browser would, with the
 * state cookie. test/webLoginBrowser.test.ts runs the same flow in Chromium.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freePort } from "./failure/services.js";
import { APPID, codeFor, SECRET, type Stack, startStack } from "./support.js";

const OA = "wxoa00000000000001";
const WEB = "wxweb0000000000001";
const RETURN = "https://h5.example.com/shop/";
let stack: Stack;

before(async () => {
  const port = await freePort();
  const apps = [
    { platform: "wechat", appid: APPID, secret: SECRET },
    { platform: "wechat-oa", appid: OA, secret: "oa-secret" },
    { platform: "wechat-web", appid: WEB, secret: "web-secret" },
  ];
  stack = await startStack(
    (fake) => ({
      WECHAT_APPID: "",
      WECHAT_SECRET: "",
      APPS: JSON.stringify(apps),
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      WEB_RETURN_URLS: `${RETURN}, https://pc.example.com`,
      WECHAT_OPEN_BASE: fake.baseUrl,
    }),
    {
      moreApps: [
        { appid: OA, secret: "oa-secret" },
        { appid: WEB, secret: "web-secret" },
      ],
    },
  );
});
after(() => stack?.stop());

/** One hop, redirects not followed. */
const hop = (url: string, cookie = "") => fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
const stateCookie = (res: Response) => /tongxing_web_state=([^;]*)/.exec(res.headers.get("set-cookie") ?? "")?.[1] ?? "";

/** authorize → WeChat → callback; returns each answer. */
async function webLogin(appid: string, query: string, opts: { cookie?: (given: string) => string } = {}) {
  const authorize = await hop(`${stack.running.url}/auth/web/${appid}/authorize?${query}`);
  const cookie = `tongxing_web_state=${opts.cookie ? opts.cookie(stateCookie(authorize)) : stateCookie(authorize)}`;
  const wechat = await hop(authorize.headers.get("location") ?? "");
  const callback = await hop(wechat.headers.get("location") ?? "", cookie);
  return { authorize, wechat, callback };
}

const fragment = (res: Response) => new URL(res.headers.get("location") ?? "").hash.slice(1);
const ticketOf = (res: Response) => new URLSearchParams(fragment(res)).get("tongxing_ticket") ?? "";
const redeem = (ticket: string) => stack.request("POST", "/auth/web/ticket", { body: { ticket } });

describe("an Official Account page", () => {
  test("authorize → WeChat's page → callback → ticket → the same body as a login; the token in no URL or cookie", async () => {
    stack.fake.oauth.behaviour.webPerson = "web-ann";
    const { authorize, wechat, callback } = await webLogin(OA, `returnTo=${encodeURIComponent(`${RETURN}cart?x=1#old`)}`);
    assert.equal(authorize.status, 302);
    const location = new URL(authorize.headers.get("location") ?? "");
    assert.equal(`${location.origin}${location.pathname}`, `${stack.fake.baseUrl}/connect/oauth2/authorize`);
    assert.equal(location.hash, "#wechat_redirect");
    assert.deepEqual([...location.searchParams.keys()], ["appid", "redirect_uri", "response_type", "scope", "state"]);
    assert.equal(location.searchParams.get("redirect_uri"), `${stack.running.url}/auth/web/${OA}/callback`);
    assert.equal(location.searchParams.get("scope"), "snsapi_base");
    const setCookie = authorize.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.match(setCookie, /Path=\/auth\/web\//);
    assert.equal(authorize.headers.get("cache-control"), "no-store");
    assert.equal(authorize.headers.get("referrer-policy"), "no-referrer");
    assert.equal(wechat.status, 302);

    assert.equal(callback.status, 302);
    const back = new URL(callback.headers.get("location") ?? "");
    assert.equal(`${back.origin}${back.pathname}${back.search}`, `${RETURN}cart?x=1`);
    const ticket = ticketOf(callback);
    assert.match(ticket, /^[A-Za-z0-9_-]{43}$/);

    const login = await redeem(ticket);
    assert.equal(login.status, 200, login.text);
    assert.deepEqual(Object.keys(login.body).sort(), ["expiresAt", "isNewUser", "token", "user"]);
    assert.equal(login.body.isNewUser, true);
    const session = await stack.request("GET", "/auth/session", { token: login.body.token });
    assert.deepEqual([session.body.appid, session.body.platform], [OA, "wechat-oa"]);
    for (const res of [authorize, wechat, callback]) {
      assert.ok(!(res.headers.get("location") ?? "").includes(login.body.token));
      assert.ok(!(res.headers.get("set-cookie") ?? "").includes(login.body.token));
    }
    const again = await redeem(ticket);
    assert.deepEqual([again.status, again.body.error.code], [401, "TICKET_INVALID"]);
  });

  test("the same person as a mini-program user (one unionid) is one user", async () => {
    const mini = await stack.login("web-bob", { appid: APPID });
    stack.fake.oauth.behaviour.webPerson = "web-bob";
    const { callback } = await webLogin(OA, `returnTo=${encodeURIComponent(RETURN)}`);
    const login = await redeem(ticketOf(callback));
    assert.deepEqual([login.body.user.id, login.body.isNewUser], [mini.body.user.id, false]);
  });

  test("snsapi_userinfo gives a new user WeChat's nickname and avatar (as https)", async () => {
    stack.fake.oauth.behaviour.webPerson = "web-cat";
    stack.fake.oauth.behaviour.nickname = "小猫🐱";
    const { authorize, callback } = await webLogin(OA, `scope=snsapi_userinfo&returnTo=${encodeURIComponent(RETURN)}`);
    stack.fake.oauth.behaviour.nickname = undefined;
    assert.equal(new URL(authorize.headers.get("location") ?? "").searchParams.get("scope"), "snsapi_userinfo");
    const login = await redeem(ticketOf(callback));
    assert.equal(login.body.user.nickname, "小猫🐱");
    assert.equal(login.body.user.avatarUrl, "https://thirdwx.qlogo.cn/mmopen/web-cat/132");
  });

  test("a snapshot-page visitor is not logged in: #tongxing_error=SNAPSHOT_USER, no user made", async () => {
    stack.fake.oauth.behaviour.webPerson = "web-snap";
    stack.fake.oauth.behaviour.snapshotNext = true;
    const users = await stack.running.deps.prisma.user.count();
    const { callback } = await webLogin(OA, `returnTo=${encodeURIComponent(RETURN)}`);
    assert.equal(fragment(callback), "tongxing_error=SNAPSHOT_USER");
    assert.equal(await stack.running.deps.prisma.user.count(), users);
  });

  test("a user who refuses at WeChat comes back with #tongxing_error=ACCESS_DENIED", async () => {
    stack.fake.oauth.behaviour.denyNext = true;
    const { callback } = await webLogin(OA, `returnTo=${encodeURIComponent(RETURN)}`);
    assert.equal(fragment(callback), "tongxing_error=ACCESS_DENIED");
  });
});

describe("refusals", () => {
  test("returnTo off the list → 400 RETURN_URL_NOT_ALLOWED, before anything is stored", async () => {
    for (const returnTo of [
      "https://evil.example.com/",
      "https://h5.example.com/other",
      "https://h5.example.com.evil.com/shop/",
      "javascript:alert(1)",
      "",
    ]) {
      const res = await hop(`${stack.running.url}/auth/web/${OA}/authorize?returnTo=${encodeURIComponent(returnTo)}`);
      assert.equal(res.status, 400, returnTo);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "RETURN_URL_NOT_ALLOWED");
      assert.equal(res.headers.get("set-cookie"), null);
    }
    assert.deepEqual(await stack.redis.keys(`${stack.prefix}web:state:*`), []);
  });

  test("a state from another browser, a reused state and an expired one → 400 STATE_INVALID, nothing exchanged", async () => {
    const other = await webLogin(OA, `returnTo=${encodeURIComponent(RETURN)}`, { cookie: () => "someone-elses" });
    assert.equal(other.callback.status, 400);
    assert.equal(((await other.callback.json()) as { error: { code: string } }).error.code, "STATE_INVALID");

    const first = await webLogin(OA, `returnTo=${encodeURIComponent(RETURN)}`);
    assert.equal(first.callback.status, 302);
    const replay = await hop(first.wechat.headers.get("location") ?? "", `tongxing_web_state=${stateCookie(first.authorize)}`);
    assert.equal(replay.status, 400, "a used state");

    const authorize = await hop(`${stack.running.url}/auth/web/${OA}/authorize?returnTo=${encodeURIComponent(RETURN)}`);
    for (const key of await stack.redis.keys(`${stack.prefix}web:state:*`)) await stack.redis.pexpire(key, 1);
    await new Promise((r) => setTimeout(r, 20));
    const wechat = await hop(authorize.headers.get("location") ?? "");
    const expired = await hop(wechat.headers.get("location") ?? "", `tongxing_web_state=${stateCookie(authorize)}`);
    assert.equal(expired.status, 400, "an expired state");
  });

  test("an unknown ticket → 401 TICKET_INVALID; a web appid on POST /auth/login → 400 APP_UNKNOWN", async () => {
    const res = await redeem("A".repeat(43));
    assert.deepEqual([res.status, res.body.error.code], [401, "TICKET_INVALID"]);
    const login = await stack.request("POST", "/auth/login", { body: { code: codeFor("x"), appid: OA } });
    assert.deepEqual([login.status, login.body.error.code], [400, "APP_UNKNOWN"]);
  });

  test("nothing secret in a log line: no token, no ticket, no state, no access_token", async () => {
    stack.fake.oauth.behaviour.webPerson = "web-logs";
    const { authorize, callback } = await webLogin(OA, `returnTo=${encodeURIComponent(RETURN)}`);
    const ticket = ticketOf(callback);
    const login = await redeem(ticket);
    const logs = stack.logs.join("");
    for (const secret of [login.body.token, ticket, stateCookie(authorize)]) assert.ok(!logs.includes(secret));
    assert.ok(!/OAT_[A-Za-z0-9_-]+/.test(logs), "WeChat's user access_token");
  });
});

test("a website app: QR login with snsapi_login", async () => {
  stack.fake.oauth.behaviour.webPerson = "web-pc";
  const { authorize, callback } = await webLogin(WEB, `returnTo=${encodeURIComponent("https://pc.example.com/after")}`);
  const location = new URL(authorize.headers.get("location") ?? "");
  assert.equal(location.pathname, "/connect/qrconnect");
  assert.equal(location.searchParams.get("scope"), "snsapi_login");
  const login = await redeem(ticketOf(callback));
  assert.equal(login.status, 200, login.text);
  const session = await stack.request("GET", "/auth/session", { token: login.body.token });
  assert.equal(session.body.platform, "wechat-web");
  const scope = await hop(
    `${stack.running.url}/auth/web/${WEB}/authorize?scope=snsapi_base&returnTo=${encodeURIComponent("https://pc.example.com/")}`,
  );
  assert.equal(scope.status, 400);
});
