/**
 * GET/HEAD /auth/verify: the forward-auth endpoint a gateway (nginx auth_request, Traefik
 * forwardAuth, Envoy ext_authz) or any backend calls with the user's own token headers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CuttableProxy } from "./proxy.js";
import { APPID, type Stack, startStack } from "./support.js";

const SERVICE_TOKEN = "service-token-0123456789abcdefghijklmnopqrstuv";
let stack: Stack;
before(async () => {
  stack = await startStack({ SERVICE_TOKEN }, { unionid: true });
});
after(() => stack.stop());

async function loggedIn(user: string) {
  const res = await stack.login(user);
  assert.equal(res.status, 200, res.text);
  return res.body as { token: string; user: { id: number } };
}

describe("a live session", () => {
  test("→ 200 with X-Tongxing-User-Id, -Session-Id, -Appid, -Platform, no-store, and the same as JSON", async () => {
    const { token, user } = await loggedIn("vera");
    const session = await stack.request("GET", "/auth/session", { token });
    const res = await stack.request("GET", "/auth/verify", { token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("x-tongxing-user-id"), String(user.id));
    assert.equal(res.headers.get("x-tongxing-session-id"), session.body.sessionId);
    assert.equal(res.headers.get("x-tongxing-appid"), APPID);
    assert.equal(res.headers.get("x-tongxing-platform"), "wechat");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(res.body, {
      userId: user.id,
      sessionId: session.body.sessionId,
      appid: APPID,
      platform: "wechat",
      restrictions: [],
      elevatedUntil: null,
    });
    // openid stays off the client's path without the service token.
    assert.equal(res.headers.get("x-tongxing-openid"), null);
    assert.equal(res.headers.get("x-tongxing-unionid"), null);
  });

  test("HEAD answers the same status and headers without a body", async () => {
    const { token, user } = await loggedIn("vera-head");
    const res = await stack.request("HEAD", "/auth/verify", { token });
    assert.equal(res.status, 200);
    assert.equal(res.text, "");
    assert.equal(res.headers.get("x-tongxing-user-id"), String(user.id));
  });

  test("Authorization: Bearer works with the scheme in any case (RFC 9110 §11.1), on every route", async () => {
    const { token, user } = await loggedIn("vera-bearer");
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      const verify = await stack.request("GET", "/auth/verify", { headers: { authorization: `${scheme} ${token}` } });
      assert.equal(verify.status, 200, `${scheme}: ${verify.text}`);
      assert.equal(verify.body.userId, user.id);
      const me = await stack.request("GET", "/me", { headers: { authorization: `${scheme} ${token}` } });
      assert.equal(me.status, 200, `${scheme} on /me: ${me.text}`);
    }
  });

  test("with the service token: also X-Tongxing-Openid and -Unionid, and openid/unionid in the body", async () => {
    const { token, user } = await loggedIn("vera-service");
    const res = await stack.request("GET", "/auth/verify", { token, headers: { "X-Tongxing-Service-Token": SERVICE_TOKEN } });
    assert.equal(res.status, 200, res.text);
    const openid = res.headers.get("x-tongxing-openid");
    const unionid = res.headers.get("x-tongxing-unionid");
    assert.ok(openid && openid.length > 0);
    assert.ok(unionid && unionid.length > 0);
    assert.deepEqual(res.body, {
      userId: user.id,
      sessionId: res.headers.get("x-tongxing-session-id"),
      appid: APPID,
      platform: "wechat",
      restrictions: [],
      elevatedUntil: null,
      openid,
      unionid,
    });
    const row = await stack.running.deps.prisma.identity.findFirstOrThrow({ where: { userId: user.id } });
    assert.equal(openid, row.openid);
    assert.equal(unionid, row.unionid);
  });

  test("a wrong service token → 401 SERVICE_UNAUTHORIZED, never the openid", async () => {
    const { token } = await loggedIn("vera-wrong");
    const res = await stack.request("GET", "/auth/verify", { token, headers: { "X-Tongxing-Service-Token": `${SERVICE_TOKEN}x` } });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "SERVICE_UNAUTHORIZED");
    assert.equal(res.headers.get("x-tongxing-error"), "SERVICE_UNAUTHORIZED");
    assert.equal(res.headers.get("x-tongxing-openid"), null);
  });
});

describe("refusals carry X-Tongxing-Error, since a gateway drops the body", () => {
  test("no token → 401 TOKEN_MISSING", async () => {
    const res = await stack.request("GET", "/auth/verify");
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "TOKEN_MISSING");
    assert.equal(res.headers.get("x-tongxing-error"), "TOKEN_MISSING");
    assert.equal(res.headers.get("x-tongxing-user-id"), null);
  });

  test("a revoked token → 401 TOKEN_INVALID on the next request, HEAD too", async () => {
    const { token } = await loggedIn("vera-logout");
    assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
    for (const method of ["GET", "HEAD"]) {
      const res = await stack.request(method, "/auth/verify", { token });
      assert.equal(res.status, 401, method);
      assert.equal(res.headers.get("x-tongxing-error"), "TOKEN_INVALID", method);
    }
    const body = await stack.request("GET", "/auth/verify", { token });
    assert.equal(body.body.error.code, "TOKEN_INVALID");
  });

  test("a banned user's token → 401 TOKEN_INVALID", async () => {
    const { token, user } = await loggedIn("vera-banned");
    await stack.running.deps.sessions.ban(user.id);
    const res = await stack.request("GET", "/auth/verify", { token });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("x-tongxing-error"), "TOKEN_INVALID");
  });
});

test("Redis unreachable → 503 SERVICE_UNAVAILABLE with X-Tongxing-Error, never 200", async () => {
  const redisPort = Number(new URL(stack.env.REDIS_URL as string).port || 6379);
  const proxy = await new CuttableProxy(redisPort).start();
  const viaProxy = await startStack({ SERVICE_TOKEN, REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  try {
    const { token } = (await viaProxy.login("vera-outage")).body as { token: string };
    assert.equal((await viaProxy.request("GET", "/auth/verify", { token })).status, 200);
    proxy.cut();
    const res = await viaProxy.request("GET", "/auth/verify", { token });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.error.code, "SERVICE_UNAVAILABLE");
    assert.equal(res.headers.get("x-tongxing-error"), "SERVICE_UNAVAILABLE");
  } finally {
    proxy.restore();
    await viaProxy.stop();
    await proxy.stop();
  }
});

test("/auth/verify is counted in the session resolution metric and documented in OpenAPI", async () => {
  const { token } = await loggedIn("vera-metrics");
  const before = await resolutionCount("valid");
  await stack.request("GET", "/auth/verify", { token });
  assert.equal(await resolutionCount("valid"), before + 1);
  const doc = (await stack.request("GET", "/openapi.json")).body;
  assert.ok(doc.paths["/auth/verify"]?.get, "GET /auth/verify in the OpenAPI document");
  assert.deepEqual(Object.keys(doc.paths["/auth/verify"].get.responses).sort(), ["200", "401", "503"]);
});

async function resolutionCount(outcome: string): Promise<number> {
  const text = await stack.running.deps.metrics.registry.metrics();
  const m = new RegExp(`tongxing_session_resolutions_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text);
  return Number(m?.[1] ?? 0);
}

test("no token, service token or openid reaches a log line", async () => {
  const { token } = await loggedIn("vera-logs");
  const res = await stack.request("GET", "/auth/verify", { token, headers: { "X-Tongxing-Service-Token": SERVICE_TOKEN } });
  const openid = res.headers.get("x-tongxing-openid");
  assert.ok(openid);
  await stack.request("GET", "/auth/verify", { token, headers: { "X-Tongxing-Service-Token": "wrong-token-0123456789abcdefghijklmnop" } });
  const logs = stack.logs.join("\n");
  assert.ok(logs.includes("/auth/verify"), "the requests were logged");
  for (const secret of [token, token.split(".")[1] as string, SERVICE_TOKEN, "wrong-token-0123456789", openid]) {
    assert.ok(!logs.includes(secret), `a log line holds ${secret.slice(0, 6)}…`);
  }
});
