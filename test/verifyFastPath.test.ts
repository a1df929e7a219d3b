/**
 * The forward-auth fast path (VERIFY_FAST_PATH): a live session's GET/HEAD /auth/verify is
 * answered before the Koa app, and everything it answers is what the app answers; everything
 * else reaches the app.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../src/config/config.js";
import { changesAt, verifyFastPath } from "../src/routes/auth/verifyFastPath.js";
import type { Running } from "../src/server.js";
import type { SessionRecord } from "../verifier/src/record.js";
import { type Stack, startStack } from "./support.js";

const SERVICE_TOKEN = "service-token-0123456789abcdefghijklmnopqrstuv";
const ADMIN = { authorization: `Bearer ${"a".repeat(40)}` };
let stack: Stack;
let appOnly: Running;
before(async () => {
  stack = await startStack({ SERVICE_TOKEN, CORS_ORIGINS: "https://console.example", ADMIN_TOKEN: "a".repeat(40) }, { unionid: true });
  appOnly = await stack.startSibling({ VERIFY_FAST_PATH: "off" });
});
after(() => stack.stop());

async function loggedIn(user: string): Promise<string> {
  const res = await stack.login(user);
  assert.equal(res.status, 200, res.text);
  return res.body.token as string;
}

/** Status, headers (but Date) and body of one request, as a comparable record. */
async function answerOf(base: string, method: string, path: string, headers: Record<string, string>) {
  const res = await fetch(base + path, { method, headers });
  const seen = Object.fromEntries([...res.headers].filter(([name]) => name !== "date"));
  return { status: res.status, headers: seen, body: await res.text() };
}

test("the switch: on by default, the server's request listener is the fast path; off, it is the app's", () => {
  assert.equal(stack.running.deps.config.verifyFastPath, true);
  assert.equal(loadConfig({ VERIFY_FAST_PATH: "off" }).verifyFastPath, false);
  assert.deepEqual(
    stack.running.server.listeners("request").map((l) => l.name),
    ["verifyFastPath"],
  );
  assert.notDeepEqual(
    appOnly.server.listeners("request").map((l) => l.name),
    ["verifyFastPath"],
  );
});

describe("every answer is the app's, byte for byte", () => {
  test("live, refused, missing, malformed, service caller right and wrong, query, other method, CORS: same status, headers and body on and off", async () => {
    const token = await loggedIn("fay");
    const ended = await loggedIn("gus");
    assert.equal((await stack.request("POST", "/auth/logout", { token: ended })).status, 204);
    const cases: [string, string, Record<string, string>][] = [
      ["GET", "/auth/verify", { "x-wx-token": token }],
      ["HEAD", "/auth/verify", { "x-wx-token": token }],
      ["GET", "/auth/verify", { authorization: `Bearer ${token}` }],
      ["GET", "/auth/verify", { "x-wx-token": token, "x-tongxing-service-token": SERVICE_TOKEN }],
      ["HEAD", "/auth/verify", { "x-wx-token": token, "x-tongxing-service-token": SERVICE_TOKEN }],
      ["GET", "/auth/verify", { "x-wx-token": token, "x-tongxing-service-token": "wrong" }],
      ["GET", "/auth/verify", { "x-wx-token": ended }],
      ["HEAD", "/auth/verify", { "x-wx-token": ended }],
      ["GET", "/auth/verify", { "x-wx-token": "1.not-a-token-at-all" }],
      ["GET", "/auth/verify", { "x-wx-token": "bad token with spaces" }],
      ["GET", "/auth/verify", {}],
      ["GET", "/auth/verify?x=1", { "x-wx-token": token }],
      ["POST", "/auth/verify", { "x-wx-token": token }],
      ["GET", "/auth/verify", { "x-wx-token": token, origin: "https://console.example" }],
    ];
    for (const [method, path, headers] of cases) {
      const requestId = `parity-${method}-${Math.random().toString(36).slice(2)}`;
      const withId = { ...headers, "x-request-id": requestId };
      const fast = await answerOf(stack.url, method, path, withId);
      const app = await answerOf(appOnly.url, method, path, withId);
      assert.deepEqual(fast, app, `${method} ${path} ${JSON.stringify(headers)}`);
    }
  });

  test("an answer prepared for a cached session follows the clock: a restriction that lifts itself is gone from the next one, as from the app's", async () => {
    const login = await stack.login("kit");
    const { token, user } = login.body as { token: string; user: { id: number } };
    const until = Date.now() + 1200;
    for (const name of ["pay", "post"]) {
      const body = name === "pay" ? { name, until: new Date(until).toISOString() } : { name };
      const res = await stack.request("POST", `/admin/users/${user.id}/restrictions`, { headers: ADMIN, body });
      assert.equal(res.status, 200, res.text);
    }
    const both = { "x-wx-token": token, "x-tongxing-service-token": SERVICE_TOKEN };
    for (let i = 0; i < 3; i++) {
      const fast = await answerOf(stack.url, "HEAD", "/auth/verify", both);
      assert.equal(fast.headers["x-tongxing-restrictions"], "pay,post");
    }
    await new Promise((r) => setTimeout(r, until - Date.now() + 50));
    const fast = await answerOf(stack.url, "GET", "/auth/verify", { ...both, "x-request-id": "kit-after" });
    const app = await answerOf(appOnly.url, "GET", "/auth/verify", { ...both, "x-request-id": "kit-after" });
    assert.equal(fast.headers["x-tongxing-restrictions"], "post", "pay lifted itself");
    assert.deepEqual(JSON.parse(fast.body).restrictions, ["post"]);
    assert.deepEqual(fast, app);
  });

  test("changesAt: the next restriction to lift itself or the step-up's end, whichever is first; never when neither is ahead", () => {
    const base = { elevatedAt: 0, elevatedUntil: 0, restrictions: [] } as unknown as SessionRecord;
    const at = (r: Partial<SessionRecord>) => changesAt({ ...base, ...r } as SessionRecord, 1000);
    assert.equal(at({}), Number.POSITIVE_INFINITY);
    assert.equal(at({ restrictions: [{ name: "pay", until: null }] } as Partial<SessionRecord>), Number.POSITIVE_INFINITY);
    assert.equal(at({ elevatedUntil: 900 }), Number.POSITIVE_INFINITY, "a step-up already over changes nothing");
    assert.equal(at({ elevatedUntil: 5000 }), 5000);
    const restrictions = [
      { name: "a", until: 800 },
      { name: "b", until: 3000 },
      { name: "c", until: 2000 },
    ];
    assert.equal(at({ restrictions } as unknown as Partial<SessionRecord>), 2000);
    assert.equal(at({ restrictions, elevatedUntil: 1500 } as unknown as Partial<SessionRecord>), 1500);
  });

  test("one log line and one count per answered check, as the app writes them", async () => {
    const token = await loggedIn("hal");
    const requestId = `fast-line-${Math.random().toString(36).slice(2)}`;
    const count = async () =>
      (await stack.running.deps.metrics.registry.getSingleMetric("http_requests_total")?.get())?.values.find(
        (v) => v.labels.route === "/auth/verify" && v.labels.method === "HEAD" && v.labels.status === "200",
      )?.value ?? 0;
    const before = await count();
    const res = await stack.request("HEAD", "/auth/verify", { token, headers: { "x-request-id": requestId } });
    assert.equal(res.status, 200);
    assert.equal(await count(), before + 1);
    const lines = stack.logs.filter((l) => l.includes(requestId)).map((l) => JSON.parse(l));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.equal(lines[0].msg, "request");
    assert.equal(lines[0].route, "/auth/verify");
    assert.equal(lines[0].status, 200);
    assert.equal(lines[0].method, "HEAD");
    assert.equal(typeof lines[0].userId, "number");
    assert.equal(typeof lines[0].durationMs, "number");
    assert.ok(!JSON.stringify(lines[0]).includes(token), "no token in the line");
  });
});

describe("what reaches the app", () => {
  let url: string;
  let reached: string[];
  let close: () => void;
  before(async () => {
    reached = [];
    const server = createServer(
      verifyFastPath(
        stack.running.deps,
        (req, res) => {
          reached.push(`${req.method} ${req.url}`);
          res.statusCode = 418;
          res.end();
        },
        () => false,
      ),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  after(() => close());

  test("a live session is answered without the app; a refused one, none, another path or method go to it", async () => {
    const token = await loggedIn("ida");
    const live = await fetch(`${url}/auth/verify`, { headers: { "x-wx-token": token } });
    assert.equal(live.status, 200);
    assert.equal(live.headers.get("cache-control"), "no-store");
    assert.deepEqual(reached, []);
    for (const [path, headers] of [
      ["/auth/verify", { "x-wx-token": "1.unknown-token-xyz" }],
      ["/auth/verify", {}],
      ["/auth/session", { "x-wx-token": token }],
      ["/auth/verify/", { "x-wx-token": token }],
    ] as const) {
      assert.equal((await fetch(url + path, { headers })).status, 418, path);
    }
    assert.equal((await fetch(`${url}/auth/verify`, { method: "DELETE", headers: { "x-wx-token": token } })).status, 418);
    assert.deepEqual(reached, ["GET /auth/verify", "GET /auth/verify", "GET /auth/session", "GET /auth/verify/", "DELETE /auth/verify"]);
  });

  test("an answer that cannot be made (a bug, not a refusal) is logged and left to the app, never an unhandled rejection", async () => {
    const token = await loggedIn("jon");
    const record = await stack.running.deps.sessions.check(token);
    // A header value Node refuses to send: what a broken answer would look like.
    const broken = { ...stack.running.deps, sessions: { check: async () => ({ ...record, appid: "wx\nbroken" }) } };
    const server = createServer(
      verifyFastPath(
        broken as unknown as typeof stack.running.deps,
        (_req, res) => {
          res.statusCode = 418;
          res.end();
        },
        () => false,
      ),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/verify`, {
        headers: { "x-wx-token": token },
      });
      assert.equal(res.status, 418);
      assert.ok(stack.logs.some((l) => l.includes("forward-auth fast path failed")));
    } finally {
      server.close();
    }
  });
});
