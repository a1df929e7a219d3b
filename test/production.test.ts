/**
 * What an operator relies on: metrics, login rate limits, hardening headers and errors,
 * request ids, log redaction at trace level, the OpenAPI document, readiness during shutdown.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { allRouters, createApp } from "../src/app.js";
import { ROUTES } from "../src/routes/openapi/openapi.js";
import * as schemas from "../src/routes/responses.js";
import { wechatEncrypt } from "./fixtures/wechatData.js";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { APPID, codeFor, SECRET, type Stack, startStack } from "./support.js";

const METRICS_TOKEN = "metrics-token-0123456789";
let stack: Stack;
before(async () => {
  stack = await startStack({ LOG_LEVEL: "trace", ADMIN_TOKEN, METRICS_TOKEN });
});
after(() => stack.stop());

describe("metrics", () => {
  test("/metrics needs METRICS_TOKEN when set, and counts what happened", async () => {
    const login = await stack.login("mo");
    await stack.request("GET", "/auth/session", { token: login.body.token });
    await stack.request("GET", "/auth/session");
    await stack.request("GET", "/auth/session", { token: "bogus" });
    await stack.request("POST", "/auth/login", { body: { code: "fake-errcode-40029" } });
    await stack.request("POST", "/me/phone", { token: login.body.token, body: { code: "phone-13600000000" } });
    // Refused by the /me router's own authentication middleware, before the route ran.
    assert.equal((await stack.request("PATCH", "/me", { body: { nickname: "x" } })).status, 401);
    assert.equal((await stack.request("GET", "/metrics")).status, 401);
    const res = await stack.request("GET", "/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    const has = (re: RegExp) => assert.match(res.text, re);
    has(/http_requests_total\{method="GET",route="\/auth\/session",status="200"\} [1-9]/);
    has(/http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/auth\/session",status="200"\}/);
    has(/tongxing_logins_total\{platform="wechat",outcome="new_user"\} [1-9]/);
    has(/tongxing_logins_total\{platform="wechat",outcome="WECHAT_CODE_INVALID"\} 1/);
    has(/tongxing_session_resolutions_total\{outcome="valid"\} [1-9]/);
    has(/tongxing_session_resolutions_total\{outcome="missing"\} [1-9]/);
    has(/tongxing_session_resolutions_total\{outcome="invalid"\} [1-9]/);
    has(/tongxing_wechat_calls_total\{api="code2Session",errcode="0"\} [1-9]/);
    has(/tongxing_wechat_calls_total\{api="code2Session",errcode="40029"\} 1/);
    has(/tongxing_wechat_calls_total\{api="stableToken",errcode="0"\} 1/);
    has(/tongxing_wechat_call_duration_seconds_count\{api="getPhoneNumber"\} 1/);
    has(/tongxing_access_token_refreshes_total 1/);
    has(/process_cpu_user_seconds_total/);
    has(/http_requests_total\{method="PATCH",route="\/me",status="401"\} 1/);
    assert.ok(!/route="[^"]*\(/.test(res.text), "route labels are templates, not a middleware's pattern");
    assert.ok(!res.text.includes(login.body.token), "no path with a token becomes a label");
  });
});

describe("login rate limit", () => {
  test("LOGIN_RATE_LIMIT per IP, then 429 with Retry-After; X-Forwarded-For only from TRUSTED_PROXIES", async () => {
    for (const trustedProxies of ["", "127.0.0.1"]) {
      const limited = await startStack({ LOGIN_RATE_LIMIT: "3", TRUSTED_PROXIES: trustedProxies });
      try {
        const attempt = (xff: string) =>
          limited.request("POST", "/auth/login", { body: { code: codeFor("rl") }, headers: { "x-forwarded-for": xff } });
        for (let i = 0; i < 3; i++) assert.equal((await attempt(`10.0.0.${i}`)).status, 200);
        const fourth = await attempt("10.0.0.99");
        if (trustedProxies === "") {
          assert.equal(fourth.status, 429, "a forged X-Forwarded-For does not buy more attempts");
          assert.equal(fourth.body.error.code, "RATE_LIMITED");
          const retryAfter = Number(fourth.headers.get("retry-after"));
          assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        } else {
          assert.equal(fourth.status, 200, "behind a trusted proxy each client IP has its own budget");
        }
      } finally {
        await limited.stop();
      }
    }
  });

  test("one code may be tried 5 times a minute", async () => {
    const code = codeFor("samecode");
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await stack.request("POST", "/auth/login", { body: { code } })).status);
    // The retries replay the first login (LOGIN_REPLAY_WINDOW) and still count against the code.
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  });
});

describe("hardening", () => {
  test("security headers, no X-Powered-By, no caching, no CORS unless configured", async () => {
    const res = await stack.request("GET", "/healthz", { headers: { origin: "https://evil.example" } });
    // The OWASP REST Security Cheat Sheet's headers for API responses, on answers and errors alike.
    const expected = {
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "strict-transport-security": "max-age=31536000; includeSubDomains",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "cache-control": "no-store",
    };
    const notFound = await stack.request("GET", "/no-such-route");
    for (const [name, value] of Object.entries(expected)) {
      assert.equal(res.headers.get(name), value, name);
      assert.equal(notFound.headers.get(name), value, `${name} on a 404`);
    }
    // helmet's browser-page headers are gone: they protect HTML documents, and a JSON API's
    // answers are none (the admin console's page sets its own CSP).
    for (const name of ["cross-origin-opener-policy", "origin-agent-cluster", "x-dns-prefetch-control", "x-xss-protection"]) {
      assert.equal(res.headers.get(name), null, name);
    }
    assert.equal(res.headers.get("x-powered-by"), null);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    const withCors = await startStack({ CORS_ORIGINS: "https://app.example, https://admin.example" });
    try {
      const ok = await withCors.request("GET", "/healthz", { headers: { origin: "https://app.example" } });
      assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
      const other = await withCors.request("GET", "/healthz", { headers: { origin: "https://evil.example" } });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
    } finally {
      await withCors.stop();
    }
  });

  test("405 METHOD_NOT_ALLOWED, 413 PAYLOAD_TOO_LARGE and 415 as JSON errors", async () => {
    for (const [method, path] of [
      ["POST", "/auth/session"],
      ["GET", "/auth/logout"],
      ["PUT", "/me"],
    ]) {
      const res = await stack.request(method as string, path as string);
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.body.error.code, "METHOD_NOT_ALLOWED");
    }
    const big = await stack.request("POST", "/auth/login", { body: { code: "x", pad: "y".repeat(17 * 1024) } });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "PAYLOAD_TOO_LARGE");
    const text = await stack.request("POST", "/auth/login", { raw: "code", headers: { "content-type": "text/plain" } });
    assert.equal(text.status, 415);
  });

  test("paths are case-sensitive: a route with changed case is 404, never served past its router's guard", async () => {
    // @koa/router compiles a prefixed router.use() guard (the admin token, the session) as a
    // case-sensitive RegExp while routes default to case-insensitive: /ADMIN/... once reached
    // the admin routes without the admin token.
    const login = await stack.login("case");
    for (const route of ROUTES) {
      const path = route.path.replace(/:\w+/g, String(login.body.user.id));
      for (const variant of [path.toUpperCase(), path.replace(/^\/(\w)/, (_, c: string) => `/${c.toUpperCase()}`)]) {
        if (variant === path) continue;
        for (const token of [undefined, login.body.token as string]) {
          const res = await stack.request(route.method.toUpperCase(), variant, { token, body: route.method === "get" ? undefined : {} });
          assert.equal(res.status, 404, `${route.method.toUpperCase()} ${variant} ${token ? "with" : "without"} a session → ${res.status}`);
          assert.equal(res.body.error.code, "NOT_FOUND");
        }
      }
    }
  });

  test("unknown methods are 405, and requests Node's parser rejects still get a JSON error", async () => {
    const trace = await stack.request("PROPFIND", "/healthz");
    assert.equal(trace.status, 405);
    assert.equal(trace.body.error.code, "METHOD_NOT_ALLOWED");
    const { port } = new URL(stack.url);
    const raw = async (text: string) => {
      const { connect } = await import("node:net");
      return new Promise<string>((resolve, reject) => {
        // Written, not half-closed: the server closes after its JSON 400 or 431 either way.
        const socket = connect(Number(port), "127.0.0.1", () => socket.write(text));
        let out = "";
        socket.on("data", (d) => {
          out += d;
        });
        socket.on("end", () => resolve(out));
        socket.on("error", reject);
      });
    };
    const bad = await raw("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    assert.match(bad, /^HTTP\/1\.1 400 /);
    assert.match(bad, /\{"error":\{"code":"INVALID_REQUEST"/);
    const huge = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.match(huge, /"code":"HEADERS_TOO_LARGE"/);
    // A body with no Content-Length (as Node's client sends one on DELETE) is the next request as
    // far as HTTP goes: the route answers, then that "request" gets one JSON 400 and the close.
    const unframed = await raw('DELETE /auth/sessions/x HTTP/1.1\r\nHost: x\r\n\r\n{"a":1}');
    const answers = unframed.match(/HTTP\/1\.1 \d{3}/g);
    assert.deepEqual(answers, ["HTTP/1.1 401", "HTTP/1.1 400"]);
    assert.match(unframed, /Connection: close\r\n\r\n\{"error":\{"code":"INVALID_REQUEST".*\}\}$/s);
  });

  test("X-Request-Id is echoed when sane, made up otherwise", async () => {
    const given = await stack.request("GET", "/healthz", { headers: { "x-request-id": "req-123.abc" } });
    assert.equal(given.headers.get("x-request-id"), "req-123.abc");
    const made = await stack.request("GET", "/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    assert.match(made.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(stack.logs.some((l) => l.includes('"requestId":"req-123.abc"')));
  });
});

describe("log redaction", () => {
  test("no token, session_key, encryptedData, secret, access_token or admin token in any log line at trace level", async () => {
    const code = codeFor("redact");
    const login = await stack.request("POST", "/auth/login", { body: { code }, headers: { "user-agent": "redaction-test" } });
    const token = login.body.token as string;
    const sessionKey = stack.fake.sessionKeys.get(stack.fake.openidFor(code)) as string;
    const encrypted = wechatEncrypt(sessionKey, { watermark: { appid: APPID, timestamp: Math.floor(Date.now() / 1000) } });
    await stack.request("POST", "/wechat/decrypt", { token, body: encrypted });
    await stack.request("POST", "/wechat/decrypt", { token, body: { ...encrypted, iv: "AAAAAAAAAAAAAAAAAAAAAA==" } });
    await stack.request("GET", "/wechat/session", { token });
    await stack.request("GET", "/me", { headers: { authorization: `Bearer ${token}` } });
    await stack.request("GET", "/admin/users/1/sessions", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await stack.request("GET", "/admin/users/1/sessions", { headers: { authorization: `Bearer ${ADMIN_TOKEN}wrong` } });
    await stack.request("POST", "/auth/logout", { token });
    await stack.request("GET", "/me", { token });
    const accessToken = (await stack.redis.get(`${stack.prefix}{wx:${APPID}}:access_token`)) as string;
    assert.ok(accessToken);
    const logs = stack.logs.join("");
    assert.ok(stack.logs.length > 10);
    for (const [name, secret] of Object.entries({
      token,
      tokenSecret: token.slice(token.indexOf(".") + 1),
      sessionKey,
      encryptedData: encrypted.encryptedData,
      SECRET,
      accessToken,
      ADMIN_TOKEN,
      METRICS_TOKEN,
      code,
    })) {
      assert.ok(!logs.includes(secret), `${name} reached the log`);
    }
  });
});

describe("OpenAPI", () => {
  test("every registered route is in /openapi.json, and real responses match its schemas", async () => {
    const doc = (await stack.request("GET", "/openapi.json")).body;
    assert.equal(doc.openapi, "3.1.0");
    const registered = allRouters(stack.running.deps).flatMap((router) =>
      router.stack.flatMap((layer) =>
        layer.methods.filter((m) => m !== "HEAD").map((m) => `${m.toLowerCase()} ${String(layer.path).replace(/\/$/, "") || "/"}`),
      ),
    );
    const documented = ROUTES.map((r) => `${r.method} ${r.path}`);
    assert.ok(registered.length >= 20);
    for (const route of registered) {
      assert.ok(documented.includes(route), `${route} is not documented`);
      const [method, path] = route.split(" ") as [string, string];
      assert.ok(doc.paths[path.replace(/:(\w+)/g, "{$1}")]?.[method], `${route} missing from the served document`);
    }
    assert.equal(new Set(documented).size, registered.length, "nothing documented that is not served");

    const login = await stack.request("POST", "/auth/login", { body: { code: codeFor("oas") } });
    const token = login.body.token;
    schemas.loginResponse.strict().parse(login.body);
    schemas.userResponse.strict().parse((await stack.request("GET", "/me", { token })).body);
    schemas.sessionResponse.strict().parse((await stack.request("GET", "/auth/session", { token })).body);
    schemas.ownSessionList.parse((await stack.request("GET", "/auth/sessions", { token })).body);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    schemas.adminSessionList.parse((await stack.request("GET", `/admin/users/${login.body.user.id}/sessions`, { headers: admin })).body);
    schemas.auditPage.strict().parse((await stack.request("GET", "/admin/audit?limit=5", { headers: admin })).body);
    schemas.adminUser.strict().parse((await stack.request("GET", `/admin/users/${login.body.user.id}`, { headers: admin })).body);
    const phone = encodeURIComponent("+8600000000000");
    schemas.adminUserList.strict().parse((await stack.request("GET", `/admin/users?phone=${phone}`, { headers: admin })).body);
    schemas.banResponse.strict().parse((await stack.request("POST", `/admin/users/${login.body.user.id}/ban`, { headers: admin })).body);
    schemas.readyResponse.strict().parse((await stack.request("GET", "/readyz")).body);
    schemas.errorResponse.strict().parse((await stack.request("GET", "/me")).body);
  });
});

test("/readyz answers 503 once shutdown has begun", async () => {
  const app = createApp(stack.running.deps, { isShuttingDown: () => true });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { checks: { shuttingDown: boolean } }).checks.shuttingDown, true);
    assert.equal(res.headers.get("connection"), "close");
  } finally {
    server.close();
  }
});
