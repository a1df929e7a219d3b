/**
 * What a security review found (issue "Hardening"), each against the real server: a refused
 * login writes nothing, a body that does not decompress is bad input, and an admin API that is
 * off shows nothing of itself.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { codeFor, type Stack, startStack } from "./support.js";

const REQUEST_TIMEOUT = 2;
const exec = promisify(execFile);
let stack: Stack;
let adminOff: Stack;
/** Behind a proxy, with small limits. */
let proxied: Stack;
before(async () => {
  [stack, adminOff, proxied] = await Promise.all([
    startStack({ ADMIN_TOKEN, REQUEST_TIMEOUT: String(REQUEST_TIMEOUT) }),
    startStack(),
    startStack({ TRUSTED_PROXIES: "loopback", LOGIN_RATE_LIMIT: "3", WECHAT_CALL_RATE_LIMIT: "3" }),
  ]);
});
after(async () => {
  await Promise.all([stack.stop(), adminOff.stop(), proxied.stop()]);
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe("a refused login writes nothing", () => {
  test("a banned user's login with a profile → 403 USER_BANNED, and the profile stays as it was", async () => {
    const first = await stack.login("banned-profile", { profile: { nickname: "before", avatarUrl: "https://example.com/a.png" } });
    assert.equal(first.status, 200, first.text);
    const id = first.body.user.id as number;
    const ban = await stack.request("POST", `/admin/users/${id}/ban`, { headers: admin, body: { reason: "spam" } });
    assert.equal(ban.status, 200, ban.text);
    const row = () => stack.running.deps.prisma.user.findUniqueOrThrow({ where: { id } });
    const before = await row();

    const refused = await stack.login("banned-profile", { profile: { nickname: "after", avatarUrl: "https://evil.example/b.png" } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "USER_BANNED");
    const now = await row();
    assert.equal(now.nickname, "before");
    assert.equal(now.avatarUrl, "https://example.com/a.png");
    assert.equal(now.updatedAt.getTime(), before.updatedAt.getTime(), "the row was not written at all");
    assert.equal(now.lastLoginAt.getTime(), before.lastLoginAt.getTime());
  });
});

/** Sends a raw body with headers of our choosing (fetch would refuse some of these). */
function rawPost(url: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = httpRequest(
      `${url}/auth/login`,
      { method: "POST", headers: { ...headers, "content-length": String(body.length) } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("compressed bodies", () => {
  const json = { "content-type": "application/json" };
  for (const encoding of ["gzip", "deflate", "br"]) {
    test(`Content-Encoding: ${encoding} with bytes that do not decompress → 400 INVALID_REQUEST, not a 500`, async () => {
      const logsBefore = stack.logs.length;
      const res = await rawPost(stack.url, { ...json, "content-encoding": encoding }, Buffer.from("this is not compressed at all"));
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.match(res.body.error.message, /Content-Encoding/);
      assert.ok(!stack.logs.slice(logsBefore).some((l) => l.includes("unhandled error")), "no unhandled error in the log");
    });
  }

  test("a well-formed gzip body is still accepted", async () => {
    const res = await rawPost(stack.url, { ...json, "content-encoding": "gzip" }, gzipSync('{"code":"gzip-user#1"}'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test("an encoding we do not take → 415 UNSUPPORTED_MEDIA_TYPE naming Content-Encoding", async () => {
    const res = await rawPost(stack.url, { ...json, "content-encoding": "compress" }, Buffer.from('{"code":"x"}'));
    assert.equal(res.status, 415);
    assert.equal(res.body.error.code, "UNSUPPORTED_MEDIA_TYPE");
    assert.match(res.body.error.message, /Content-Encoding/);
  });
});

describe("the admin API", () => {
  const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

  test("off (no ADMIN_TOKEN): 404 NOT_FOUND for every method, no Allow header", async () => {
    for (const method of methods) {
      for (const path of ["/admin/users/1/ban", "/admin/users/1/sessions", "/admin/sessions/1.x", "/admin"]) {
        const res = await adminOff.request(method, path, { headers: admin });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.equal(res.body.error.code, "NOT_FOUND", `${method} ${path}`);
        assert.equal(res.headers.get("allow"), null, `${method} ${path}`);
      }
    }
  });

  test("on: without the token every method is 401 ADMIN_UNAUTHORIZED, before any method handling", async () => {
    for (const method of methods) {
      const res = await stack.request(method, "/admin/users/1/ban");
      assert.equal(res.status, 401, method);
      assert.equal(res.body.error.code, "ADMIN_UNAUTHORIZED", method);
      assert.equal(res.headers.get("allow"), null, method);
    }
    // With the token, method handling is as before.
    const wrongMethod = await stack.request("PUT", "/admin/users/1/ban", { headers: admin });
    assert.equal(wrongMethod.status, 405);
  });
});

/**
 * Sends `head` at once, then `trickle` one byte every `everyMs`, and collects what the server
 * answers until it closes the connection (or `giveUpMs` passes).
 */
function slowClient(url: string, head: string, trickle: string, everyMs: number, giveUpMs: number) {
  const { hostname, port } = new URL(url);
  return new Promise<{ answer: string; closedAfterMs: number }>((resolve) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let answer = "";
    let i = 0;
    const timer = setInterval(() => {
      if (i < trickle.length && socket.writable) socket.write(trickle[i++] as string);
    }, everyMs);
    const done = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, closedAfterMs: performance.now() - started });
    };
    const giveUp = setTimeout(() => {
      socket.destroy();
      done();
    }, giveUpMs);
    socket.on("data", (d) => (answer += d));
    socket.on("error", () => {});
    socket.on("close", done);
    socket.write(head);
  });
}

describe("slow clients cannot hold sockets (REQUEST_TIMEOUT)", () => {
  test("a body trickled a byte at a time → 408 REQUEST_TIMEOUT as JSON, and the server closes the socket", async () => {
    const head = "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n";
    const res = await slowClient(stack.url, head, `{"code":"${"x".repeat(180)}"}`, 300, 15_000);
    assert.match(res.answer, /^HTTP\/1\.1 408 /);
    assert.match(res.answer, /"code":"REQUEST_TIMEOUT"/);
    assert.ok(res.closedAfterMs < REQUEST_TIMEOUT * 1000 + 2000, `closed after ${res.closedAfterMs.toFixed(0)} ms`);
  });

  test("headers trickled a byte at a time → 408 within the headers timeout (half of it)", async () => {
    const res = await slowClient(
      stack.url,
      "GET /healthz HTTP/1.1\r\n",
      "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
      200,
      15_000,
    );
    assert.match(res.answer, /^HTTP\/1\.1 408 /);
    assert.ok(res.closedAfterMs < REQUEST_TIMEOUT * 1000, `closed after ${res.closedAfterMs.toFixed(0)} ms`);
  });

  test("a request that arrives in time is served as usual", async () => {
    assert.equal((await stack.request("GET", "/healthz")).status, 200);
  });
});

describe("client IPs and rate-limit buckets", () => {
  test("an X-Forwarded-For entry that is no IP address is ignored: the socket's address is used and audited", async () => {
    const res = await proxied.request("POST", "/auth/login", {
      body: { code: codeFor("junk-ip") },
      headers: { "x-forwarded-for": "x".repeat(100) },
    });
    assert.equal(res.status, 200, res.text);
    const sessions = await proxied.request("GET", "/auth/sessions", { token: res.body.token });
    assert.equal(sessions.body.sessions[0].ip, "127.0.0.1");
    await proxied.running.deps.audit.flush();
    const events = await proxied.running.deps.prisma.auditEvent.findMany({ where: { userId: res.body.user.id, action: "login" } });
    assert.equal(events.length, 1, "the login was audited");
    assert.equal(events[0]?.ip, "127.0.0.1");
  });

  test("IPv6 clients share one login bucket per /64, however the address is spelled", async () => {
    const spellings = [
      "2001:db8:5:6::1",
      "2001:0DB8:0005:0006:0000:0000:0000:0002",
      "2001:db8:5:6:abcd::3",
      "2001:db8:5:6:ffff:ffff:ffff:ffff",
    ];
    const statuses = [];
    for (const ip of spellings) {
      statuses.push(
        (await proxied.request("POST", "/auth/login", { body: { code: codeFor("v6") }, headers: { "x-forwarded-for": ip } })).status,
      );
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const otherNet = await proxied.request("POST", "/auth/login", {
      body: { code: codeFor("v6") },
      headers: { "x-forwarded-for": "2001:db8:5:7::1" },
    });
    assert.equal(otherNet.status, 200, "another /64 has its own bucket");
  });

  test("an IPv4-mapped IPv6 address is its IPv4 address's bucket", async () => {
    const statuses = [];
    for (const ip of ["198.51.100.7", "::ffff:198.51.100.7", "::ffff:c633:6407", "198.51.100.7"]) {
      statuses.push(
        (await proxied.request("POST", "/auth/login", { body: { code: codeFor("v4") }, headers: { "x-forwarded-for": ip } })).status,
      );
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });
});

describe("WeChat calls per user (WECHAT_CALL_RATE_LIMIT)", () => {
  test("GET /wechat/session and POST /me/phone share a per-user budget: past it 429 RATE_LIMITED with Retry-After", async () => {
    const a = await proxied.request("POST", "/auth/login", {
      body: { code: codeFor("quota-a") },
      headers: { "x-forwarded-for": "203.0.113.1" },
    });
    const b = await proxied.request("POST", "/auth/login", {
      body: { code: codeFor("quota-b") },
      headers: { "x-forwarded-for": "203.0.113.2" },
    });
    const calls = proxied.fake.callCount("/wxa/checksession");
    assert.equal((await proxied.request("GET", "/wechat/session", { token: a.body.token })).status, 200);
    assert.equal((await proxied.request("GET", "/wechat/session", { token: a.body.token })).status, 200);
    assert.equal((await proxied.request("POST", "/me/phone", { token: a.body.token, body: { code: "phone-13800000001" } })).status, 200);
    const limited = await proxied.request("GET", "/wechat/session", { token: a.body.token });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, "RATE_LIMITED");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    const phone = await proxied.request("POST", "/me/phone", { token: a.body.token, body: { code: "phone-13800000002" } });
    assert.equal(phone.status, 429);
    assert.equal(proxied.fake.callCount("/wxa/checksession") - calls, 2, "the refused calls never reached WeChat");
    assert.equal((await proxied.request("GET", "/wechat/session", { token: b.body.token })).status, 200, "another user is not limited");
  });
});

test("audit: fields are clipped to their columns, and a bad row in a batch loses only itself, logged with its error", async () => {
  const { audit, prisma } = stack.running.deps;
  const marker = `batch-${Date.now()}`;
  const logsBefore = stack.logs.length;
  audit.record([
    { action: "revoke", actor: "cli", userId: 900001, ip: "9".repeat(200), detail: marker },
    { action: "revoke", actor: "cli", userId: 2 ** 31, detail: marker }, // past the int column: this row fails
    { action: "revoke", actor: "cli", userId: 900002, sessionId: "s".repeat(100), detail: marker },
  ]);
  await audit.flush();
  const rows = await prisma.auditEvent.findMany({ where: { detail: marker }, orderBy: { userId: "asc" } });
  assert.deepEqual(
    rows.map((r) => r.userId),
    [900001, 900002],
  );
  assert.equal(rows[0]?.ip?.length, 64);
  assert.equal(rows[1]?.sessionId?.length, 64);
  const errors = stack.logs.slice(logsBefore).filter((l) => l.includes("audit write failed"));
  assert.equal(errors.length, 1);
  const line = JSON.parse(errors[0] as string);
  assert.equal(typeof line.err.message, "string");
  assert.notEqual(line.err.message, "[object Object]");
  assert.equal(line.event.userId, 2 ** 31);
});

describe("/metrics in production", () => {
  test("no METRICS_TOKEN and no METRICS_PORT: off (404), and the start log says how to turn it on", async () => {
    const prod = await startStack({ NODE_ENV: "production" });
    try {
      const res = await prod.request("GET", "/metrics");
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, "NOT_FOUND");
      assert.ok(prod.logs.some((l) => l.includes("METRICS_TOKEN") && l.includes("METRICS_PORT")));
    } finally {
      await prod.stop();
    }
  });

  test("METRICS_PORT: served only on the private listener", async () => {
    const prod = await startStack({ NODE_ENV: "production", METRICS_PORT: "0" });
    try {
      assert.equal((await prod.request("GET", "/metrics")).status, 404, "not on the public port");
      const url = prod.running.metricsUrl;
      assert.ok(url);
      const res = await fetch(`${url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /http_requests_total/);
      assert.equal((await fetch(`${url}/auth/session`)).status, 404, "nothing else there");
    } finally {
      await prod.stop();
    }
  });

  test("METRICS_TOKEN: on the main port behind the bearer token", async () => {
    const token = "metrics-token-0123456789";
    const prod = await startStack({ NODE_ENV: "production", METRICS_TOKEN: token });
    try {
      assert.equal((await prod.request("GET", "/metrics")).status, 401);
      assert.equal((await prod.request("GET", "/metrics", { headers: { authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      await prod.stop();
    }
  });
});

describe("text the user typed is kept as typed", () => {
  test("a UTF-8 User-Agent is listed as UTF-8, not as mojibake", async () => {
    const ua = "Mozilla/5.0 微信/8.0.50 爱丽丝的手机";
    // fetch refuses non-Latin-1 header values; Node's client sends a latin1 string's bytes as is.
    const body = JSON.stringify({ code: codeFor("ua-utf8") });
    const login = await new Promise<any>((resolve, reject) => {
      const req = httpRequest(
        `${stack.url}/auth/login`,
        { method: "POST", headers: { "content-type": "application/json", "user-agent": Buffer.from(ua, "utf8").toString("latin1") } },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve(JSON.parse(text)));
        },
      );
      req.on("error", reject);
      // A Buffer, so that Node writes the headers as Latin-1 on their own (a string body would
      // make it encode the header block as UTF-8 along with it).
      req.end(Buffer.from(body));
    });
    const sessions = await stack.request("GET", "/auth/sessions", { token: login.token });
    assert.equal(sessions.body.sessions[0].userAgent, ua);
  });

  test("a Latin-1 User-Agent that is not UTF-8 stays as it came", async () => {
    const ua = "Agent/1.0 (caf\u00e9)";
    const res = await stack.request("POST", "/auth/login", { body: { code: codeFor("ua-latin1") }, headers: { "user-agent": ua } });
    const sessions = await stack.request("GET", "/auth/sessions", { token: res.body.token });
    assert.equal(sessions.body.sessions[0].userAgent, ua);
  });

  test("a nickname counts grapheme clusters: ten family emoji are ten characters", async () => {
    const family = "👨‍👩‍👧‍👦";
    const ten = family.repeat(10);
    const ok = await stack.login("graphemes", { profile: { nickname: ten } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.user.nickname, ten);
    const sixtyFour = "字".repeat(63) + family;
    assert.equal((await stack.login("graphemes", { profile: { nickname: sixtyFour } })).status, 200);
    const tooMany = await stack.login("graphemes", { profile: { nickname: "字".repeat(65) } });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error.message, /nickname/);
  });

  test("null clears the nickname and avatarUrl (PATCH /me and a login's profile)", async () => {
    const login = await stack.login("clear", { profile: { nickname: "Mei", avatarUrl: "https://example.com/m.png" } });
    const cleared = await stack.request("PATCH", "/me", { token: login.body.token, body: { nickname: null, avatarUrl: null } });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.body.nickname, null);
    assert.equal(cleared.body.avatarUrl, null);
    await stack.request("PATCH", "/me", { token: login.body.token, body: { nickname: "Mei" } });
    const again = await stack.login("clear", { profile: { nickname: null } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.user.nickname, null);
  });

  test("re-banning without a reason keeps the stored reason", async () => {
    const login = await stack.login("reban");
    const id = login.body.user.id;
    const first = await stack.request("POST", `/admin/users/${id}/ban`, { headers: admin, body: { reason: "chargeback fraud" } });
    assert.equal(first.body.reason, "chargeback fraud");
    const again = await stack.request("POST", `/admin/users/${id}/ban`, { headers: admin, body: {} });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.reason, "chargeback fraud");
    const row = await stack.running.deps.prisma.user.findUniqueOrThrow({ where: { id } });
    assert.equal(row.banReason, "chargeback fraud");
  });
});

describe("small things that cost a newcomer time", () => {
  test("validation messages name the field and what was expected, in words, never echoing the value", async () => {
    const cases: [unknown, string][] = [
      [{ code: 5 }, "code: must be a string, not a number."],
      [{}, "code: required, a string."],
      [{ code: "x", profile: { nickname: 7 } }, "profile.nickname: must be a string, not a number."],
      [{ code: "x", profile: "secret-looking-text" }, "profile: must be an object, not a string."],
      [[1], "body: must be an object, not an array."],
    ];
    for (const [body, message] of cases) {
      const res = await stack.request("POST", "/auth/login", { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body.error, { code: "INVALID_REQUEST", message });
    }
  });

  test("405 answers carry an Allow header, for unknown methods too", async () => {
    const put = await stack.request("PUT", "/auth/login", { body: {} });
    assert.equal(put.status, 405);
    assert.equal(put.body.error.code, "METHOD_NOT_ALLOWED");
    assert.match(put.headers.get("allow") ?? "", /POST/);
    const propfind = await stack.request("PROPFIND", "/auth/session");
    assert.equal(propfind.status, 405);
    assert.match(propfind.headers.get("allow") ?? "", /GET/);
  });

  test("a __proto__ key is named as the problem, not called invalid JSON", async () => {
    const res = await stack.request("POST", "/auth/login", {
      raw: '{"__proto__":{"x":1},"code":"a"}',
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /__proto__/);
  });

  test("npm run demo reads PORT and says plainly when nothing listens", async () => {
    const run = (env: Record<string, string>) =>
      exec(process.execPath, ["--import", "tsx", "scripts/demo.ts"], { env: { ...process.env, BASE_URL: "", ...env } }).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
      );
    const closed = await run({ PORT: "1" });
    assert.equal(closed.code, 1);
    assert.equal(closed.err.trim().split("\n").length, 1, closed.err);
    assert.match(closed.err, /nothing answers at http:\/\/127\.0\.0\.1:1/);
    const ok = await run({ PORT: new URL(stack.url).port });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /demo: ok/);
  });
});
