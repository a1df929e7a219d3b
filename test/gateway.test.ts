/**
 * examples/nginx/tongxing.conf.template in a real nginx (Debian's nginx-light has the
 * auth_request module): mini-program → nginx → tongxing + a business API, end to end, Redis
 * and tongxing outages included.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { Agent, setGlobalDispatcher } from "undici";
import { createClient } from "../client/src/index.js";
import { addRestriction } from "../src/commands/restrictions.js";
import { loadConfig } from "../src/config/config.js";
import { simulatedWx } from "./fixtures/simulatedWx.js";
import { BusinessApi, checkConfig, freePort, type Nginx, renderTemplate, type Seen, startNginx, TEMPLATE, tls } from "./nginx.js";
import { CuttableProxy } from "./proxy.js";
import { codeFor, REDIS_URL, type Stack, startStack } from "./support.js";
import { findTool } from "./tools.js";

const nginxBinary = findTool("nginx", "apt-get install -y nginx-light", ["/usr/sbin/nginx"]);
// Every character tongxing allows in a token (RFC 6750's b64token alphabet), so that the whole
// suite shows them surviving the template and the header.
const SERVICE_TOKEN = `svc-${randomBytes(24).toString("hex")}._~+/=`;

let stack: Stack;
let redisProxy: CuttableProxy;
let app: BusinessApi;
let gateway: Nginx;

before(async () => {
  if (!nginxBinary.path) return;
  // The gateway's self-signed certificate, trusted by every fetch here (the SDK's included).
  setGlobalDispatcher(new Agent({ connect: { ca: tls.ca } }));
  redisProxy = await new CuttableProxy(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname).start();
  stack = await startStack({ SERVICE_TOKEN, TRUSTED_PROXIES: "loopback", REDIS_URL: `redis://127.0.0.1:${redisProxy.port}` });
  app = await new BusinessApi().start();
  gateway = await startNginx(nginxBinary.path, { TONGXING_ADDR: new URL(stack.url).host, APP_ADDR: app.addr, SERVICE_TOKEN });
});
after(async () => {
  await gateway?.stop();
  await app?.stop();
  redisProxy?.restore();
  await stack?.stop();
  await redisProxy?.stop();
});

/** A request through the gateway; the body parsed when it is JSON. */
async function viaGateway(method: string, path: string, headers: Record<string, string> = {}, body?: string, base = gateway.url) {
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}

async function loginViaGateway(user: string, code = codeFor(user)) {
  const res = await viaGateway("POST", "/auth/login", { "content-type": "application/json" }, JSON.stringify({ code }));
  assert.equal(res.status, 200, res.text);
  return res.json as { token: string; user: { id: number } };
}

describe("nginx forward auth", { skip: nginxBinary.skip }, () => {
  test("nginx is installed", () => assert.ok(nginxBinary.path, nginxBinary.missing));

  test("the template uses exactly the variables docs/backends.md names", async () => {
    const text = await readFile(TEMPLATE, "utf8");
    const upper = new Set([...text.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g)].map((m) => m[1]));
    const names = ["APP_ADDR", "HTTP_PORT", "LISTEN_PORT", "RESOLVER", "SERVICE_TOKEN", "TLS_CERT", "TLS_KEY", "TONGXING_ADDR"];
    assert.deepEqual([...upper].sort(), names);
    assert.equal((text.match(/^server\s*\{/gm) ?? []).length, 2, "the API over HTTPS, and the redirect to it");
    const rendered = renderTemplate(text, Object.fromEntries(names.map((n) => [n, "x"])));
    assert.doesNotMatch(rendered, /\$\{/, "nothing left for envsubst");
    assert.match(rendered, /\$request_uri/, "nginx's own variables survive");
  });

  test("plain HTTP answers only a redirect to HTTPS (308: a POST stays a POST with its body)", async () => {
    const before = app.seen.length;
    for (const [method, path] of [
      ["POST", "/auth/login?from=http"],
      ["GET", "/orders"],
    ] as const) {
      const res = await fetch(gateway.httpUrl + path, { method, redirect: "manual", body: method === "POST" ? "{}" : undefined });
      assert.equal(res.status, 308);
      assert.equal(res.headers.get("location"), `https://127.0.0.1${path}`);
      assert.equal(res.headers.get("server"), "nginx");
    }
    assert.equal(app.seen.length, before, "nothing reached the business API over plain HTTP");
  });

  test("every HTTPS answer carries one HSTS header: tongxing's, the business API's, refusals, 503", async () => {
    const hsts = "max-age=31536000; includeSubDomains";
    const { token } = await loginViaGateway("gw-hsts");
    const answers = [
      await viaGateway("GET", "/healthz"),
      await viaGateway("GET", "/orders", { "X-WX-Token": token }),
      await viaGateway("GET", "/boom", { "X-WX-Token": token }),
      await viaGateway("GET", "/orders"),
      await viaGateway("GET", "/orders", { "X-WX-Token": `1.${"A".repeat(32)}` }),
    ];
    for (const res of answers) assert.equal(res.headers.get("strict-transport-security"), hsts, `${res.status} ${res.text}`);
  });

  test("every SERVICE_TOKEN tongxing starts with renders a template nginx loads", async () => {
    const base = randomBytes(20).toString("hex");
    const candidates = [
      SERVICE_TOKEN,
      `${base}$host0123`,
      `${base}$host`,
      `${base}"x`,
      `${base}\\"`,
      `${base}'x`,
      `${base};x`,
      `${base}{x}`,
      `${base}#x`,
    ];
    let accepted = 0;
    for (const token of candidates) {
      try {
        loadConfig({ SERVICE_TOKEN: token });
      } catch {
        continue;
      }
      accepted++;
      const vars = { TONGXING_ADDR: "127.0.0.1:3000", APP_ADDR: "127.0.0.1:4000", SERVICE_TOKEN: token };
      assert.equal(await checkConfig(nginxBinary.path as string, vars), null, `nginx refuses the template with ${JSON.stringify(token)}`);
    }
    assert.ok(accepted >= 1, "the suite's own token is accepted");
  });

  test("nginx's own error pages do not name its version", async () => {
    const res = await viaGateway("POST", "/anything", { "content-type": "application/json" }, "x".repeat(2 * 1024 * 1024));
    assert.equal(res.status, 413, "nginx itself refuses a body over client_max_body_size");
    assert.equal(res.headers.get("server"), "nginx");
    assert.doesNotMatch(res.text, /nginx\/\d/);
  });

  test("tongxing's own API goes to tongxing: login, /auth/session, /me, /healthz", async () => {
    const before = app.seen.length;
    const { token, user } = await loginViaGateway("gw-own");
    const session = await viaGateway("GET", "/auth/session", { "X-WX-Token": token });
    assert.equal(session.status, 200, session.text);
    assert.equal(session.json.userId, user.id);
    assert.equal((await viaGateway("GET", "/me", { "X-WX-Token": token })).json.id, user.id);
    assert.equal((await viaGateway("GET", "/healthz")).status, 200);
    assert.equal(app.seen.length, before, "none of these reached the business API");
  });

  test("a live session reaches the business API with X-Tongxing-User-Id, -Session-Id, -Openid, -Unionid", async () => {
    const { token, user } = await loginViaGateway("gw-live");
    const res = await viaGateway(
      "POST",
      "/orders?x=1",
      { authorization: `Bearer ${token}`, "content-type": "application/json" },
      '{"sku":"tea"}',
    );
    assert.equal(res.status, 200, res.text);
    const seen = res.json as Seen;
    assert.equal(seen.url, "/orders?x=1");
    assert.equal(seen.method, "POST");
    assert.equal(seen.body, '{"sku":"tea"}', "the client's body reaches the business API");
    const row = await stack.running.deps.prisma.identity.findFirstOrThrow({ where: { userId: user.id } });
    const session = await viaGateway("GET", "/auth/session", { "X-WX-Token": token });
    assert.equal(seen.headers["x-tongxing-user-id"], String(user.id));
    assert.equal(seen.headers["x-tongxing-session-id"], session.json.sessionId);
    assert.equal(seen.headers["x-tongxing-openid"], row.openid);
    assert.equal(seen.headers["x-tongxing-unionid"], row.unionid);
    assert.equal(seen.headers["x-tongxing-service-token"], undefined, "the service token stays between nginx and tongxing");
  });

  test("headers the client sends under those names are overwritten, never trusted", async () => {
    const victim = await loginViaGateway("gw-victim");
    const { token, user } = await loginViaGateway("gw-spoofer");
    const spoof = {
      "X-WX-Token": token,
      "X-Tongxing-User-Id": String(victim.user.id),
      "x-tongxing-session-id": `${victim.user.id}.${"A".repeat(22)}`,
      "X-TONGXING-OPENID": "o-victim",
      "X-Tongxing-Unionid": "u-victim",
      "X-Tongxing-Platform": "douyin",
      "X-Tongxing-Restrictions": "nothing-to-see",
      "X-Tongxing-Service-Token": "guess",
    };
    const res = await viaGateway("GET", "/profile", spoof);
    assert.equal(res.status, 200, res.text);
    const seen = res.json as Seen;
    assert.equal(seen.headers["x-tongxing-user-id"], String(user.id));
    assert.notEqual(seen.headers["x-tongxing-openid"], "o-victim");
    assert.notEqual(seen.headers["x-tongxing-unionid"], "u-victim");
    assert.equal(seen.headers["x-tongxing-platform"], "wechat");
    assert.equal(seen.headers["x-tongxing-restrictions"], undefined, "no restriction: no header, whatever the client sent");
    assert.match(String(seen.headers["x-tongxing-session-id"]), new RegExp(`^${user.id}\\.`));
    // A client with no token at all cannot become anyone by sending the headers.
    const before = app.seen.length;
    const anonymous = await viaGateway("GET", "/profile", { "X-Tongxing-User-Id": "1" });
    assert.equal(anonymous.status, 401);
    assert.equal(app.seen.length, before);
  });

  test("a user's restriction reaches the business API as X-Tongxing-Restrictions, on the next request", async () => {
    const { token, user } = await loginViaGateway("gw-restricted");
    assert.equal(
      ((await viaGateway("GET", "/profile", { "X-WX-Token": token })).json as Seen).headers["x-tongxing-restrictions"],
      undefined,
    );
    await addRestriction(stack.running.deps, user.id, { name: "comment", reason: null, until: null }, { actor: "system" });
    const res = await viaGateway("GET", "/profile", { "X-WX-Token": token, "X-Tongxing-Restrictions": "" });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json as Seen).headers["x-tongxing-restrictions"], "comment");
  });

  test("a user WeChat gave no unionid arrives without X-Tongxing-Unionid, whatever the client sent", async () => {
    const code = codeFor("gw-nounion");
    stack.fake.script(code, { openid: `o-nounion-${randomBytes(4).toString("hex")}`, session_key: randomBytes(16).toString("base64") });
    const { token } = await loginViaGateway("gw-nounion", code);
    const res = await viaGateway("GET", "/profile", { "X-WX-Token": token, "X-Tongxing-Unionid": "u-forged" });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json as Seen).headers["x-tongxing-unionid"], undefined);
  });

  test("no token → tongxing's own 401 TOKEN_MISSING body; the business API is not called", async () => {
    const before = app.seen.length;
    const res = await viaGateway("GET", "/orders");
    const direct = await stack.request("GET", "/auth/verify");
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, direct.body);
    assert.equal(res.json.error.code, "TOKEN_MISSING");
    assert.equal(res.headers.get("x-tongxing-error"), "TOKEN_MISSING");
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(app.seen.length, before);
  });

  test("a logged-out token → 401 TOKEN_INVALID on the very next request", async () => {
    const { token } = await loginViaGateway("gw-logout");
    assert.equal((await viaGateway("GET", "/orders", { "X-WX-Token": token })).status, 200);
    assert.equal((await viaGateway("POST", "/auth/logout", { "X-WX-Token": token })).status, 204);
    const before = app.seen.length;
    const res = await viaGateway("GET", "/orders", { "X-WX-Token": token });
    const direct = await stack.request("GET", "/auth/verify", { token });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, direct.body);
    assert.equal(res.json.error.code, "TOKEN_INVALID");
    assert.equal(res.json.error.reason, "LOGGED_OUT", "the reason, passed on into the body nginx rebuilds");
    assert.equal(res.headers.get("x-tongxing-reason"), "LOGGED_OUT");
    assert.equal(app.seen.length, before);
  });

  test("through the gateway, the mini-program SDK logs in again for a session that left nothing, and not for a revoked one", async () => {
    const ended: string[] = [];
    const { wx, counts } = simulatedWx("gw-sdk");
    const tx = createClient({ baseUrl: gateway.url, wx, onSessionEnded: (end) => void ended.push(end.reason) });
    const first = (await tx.request({ url: "/orders" })) as Seen;
    assert.equal(counts.login, 1);
    const userId = first.headers["x-tongxing-user-id"];
    assert.ok(userId);
    // Nothing kept (the reason nginx passes on is UNKNOWN): one silent re-login.
    await stack.redis.del(`${stack.prefix}{u${userId}}`);
    // A write from outside tongxing reaches its session cache as an invalidation a moment later:
    // wait until the gateway refuses the old token before the SDK's request.
    const stale = String(wx.getStorageSync("tongxing.token"));
    const deadline = Date.now() + 2000;
    while ((await viaGateway("GET", "/orders", { "X-WX-Token": stale })).status === 200) {
      assert.ok(Date.now() < deadline, "the deleted session is refused within the cache's bound");
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = (await tx.request({ url: "/orders" })) as Seen;
    assert.equal(counts.login, 2, "one re-login on TOKEN_INVALID with reason UNKNOWN");
    assert.equal(second.headers["x-tongxing-user-id"], userId);
    // Revoked (by an operator, say): the app is told, nobody logs in again by themselves.
    assert.equal((await stack.running.deps.sessions.revokeAll(Number(userId))).length, 1);
    await assert.rejects(tx.request({ url: "/orders" }), (err: { code?: string; reason?: string }) => err.reason === "REVOKED");
    assert.deepEqual([counts.login, ended], [2, ["REVOKED"]]);
  });

  test("the business API's own errors pass through untouched", async () => {
    const { token } = await loginViaGateway("gw-boom");
    const res = await viaGateway("GET", "/boom", { "X-WX-Token": token });
    assert.equal(res.status, 500);
    assert.equal(res.text, "the business API's own failure");
  });

  test("a client cannot speak as the service through the gateway, even with the right service token", async () => {
    const { token } = await loginViaGateway("gw-service");
    const res = await viaGateway("GET", "/auth/verify", { "X-WX-Token": token, "X-Tongxing-Service-Token": SERVICE_TOKEN });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("x-tongxing-openid"), null);
    assert.equal(res.json.openid, undefined);
  });

  test("the verify subrequest's location cannot be called from outside", async () => {
    const { token } = await loginViaGateway("gw-internal");
    const res = await viaGateway("GET", "/_tongxing/verify", { "X-WX-Token": token });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("x-tongxing-openid"), null);
  });

  test("Redis unreachable → 503 SERVICE_UNAVAILABLE as tongxing sends it; the business API is not called", async () => {
    const { token } = await loginViaGateway("gw-redis");
    const before = app.seen.length;
    redisProxy.cut();
    try {
      const res = await viaGateway("GET", "/orders", { "X-WX-Token": token });
      const direct = await stack.request("GET", "/auth/verify", { token });
      assert.equal(direct.status, 503);
      assert.equal(res.status, 503, res.text);
      assert.deepEqual(res.json, direct.body);
      assert.equal(res.headers.get("x-tongxing-error"), "SERVICE_UNAVAILABLE");
      assert.equal(app.seen.length, before);
    } finally {
      redisProxy.restore();
    }
    // Back without restarting anything.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await viaGateway("GET", "/orders", { "X-WX-Token": token })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200);
  });

  test("tongxing unreachable → 503 SERVICE_UNAVAILABLE; the business API is not called", async () => {
    const nowhere = await freePort();
    const broken = await startNginx(nginxBinary.path as string, {
      TONGXING_ADDR: `127.0.0.1:${nowhere}`,
      APP_ADDR: app.addr,
      SERVICE_TOKEN,
    });
    try {
      const before = app.seen.length;
      const res = await viaGateway("GET", "/orders", { "X-WX-Token": `1.${"A".repeat(32)}` }, undefined, broken.url);
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json.error.code, "SERVICE_UNAVAILABLE");
      assert.equal(res.headers.get("strict-transport-security"), "max-age=31536000; includeSubDomains");
      assert.equal(app.seen.length, before);
    } finally {
      await broken.stop();
    }
  });

  test("a SERVICE_TOKEN that differs from tongxing's is a gateway error (500), not a pass without openid", async () => {
    const wrong = await startNginx(nginxBinary.path as string, {
      TONGXING_ADDR: new URL(stack.url).host,
      APP_ADDR: app.addr,
      SERVICE_TOKEN: `${SERVICE_TOKEN}-old`,
    });
    try {
      const { token } = await loginViaGateway("gw-wrong-service");
      const before = app.seen.length;
      const res = await viaGateway("GET", "/orders", { "X-WX-Token": token }, undefined, wrong.url);
      assert.equal(res.status, 500, res.text);
      assert.equal(res.json.error.code, "INTERNAL_ERROR");
      assert.equal(app.seen.length, before);
    } finally {
      await wrong.stop();
    }
  });
});
