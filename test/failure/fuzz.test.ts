/**
 * Scenario 5: property-based fuzzing (fast-check) of every route of a real tongxing process:
 * random JSON, wrong types, huge strings, deep nesting, invalid UTF-8, odd headers and content
 * types, path parameters with traversal and SQL-like content, unknown methods and paths.
 * At least 10,000 requests; no 5xx; every error a JSON body with a documented code; healthy after.
 */
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { dropDatabase } from "../../src/db/database.js";
import { ROUTES } from "../../src/routes/openapi/openapi.js";
import { ADMIN_TOKEN } from "../lifecycleSuite.js";
import { freshDatabaseUrl, REDIS_URL } from "../support.js";
import { assertConsistent, startTongxing, type Tongxing } from "./harness.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
/** FUZZ_SEED replays a reported run (fast-check prints the seed of a failure). */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const databaseUrl = freshDatabaseUrl();
let tx: Tongxing;
before(async () => {
  tx = await startTongxing({ databaseUrl, redisUrl: REDIS_URL, env: { ADMIN_TOKEN } });
});
after(async () => {
  await tx.stop();
  await dropDatabase(databaseUrl);
});

/** Every code the API documents, plus the generic ones any route can answer. */
const KNOWN_CODES = new Set([
  ...ROUTES.flatMap((r) => Object.values(r.errors ?? {}).flat()),
  "INVALID_REQUEST",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "HEADERS_TOO_LARGE",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "RATE_LIMITED",
]);

const nasty = fc.constantFrom(
  "../../../etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "%2e%2e%2f",
  "1' OR '1'='1",
  "1; DROP TABLE users; --",
  "0",
  "-1",
  "1.5",
  "99999999999999999999",
  "１２３",
  "%00",
  "%ff%fe",
  "1.AAAAAAAAAAAAAAAAAAAAAA",
  "null",
  "{}",
  "",
);
const segment = fc.oneof(nasty, fc.string({ maxLength: 40 }).map(encodeURIComponent), fc.nat().map(String));

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({ code: fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.constant(null), fc.array(fc.string())) }),
  fc.record({
    nickname: fc.oneof(fc.string({ maxLength: 80, unit: "grapheme" }), fc.integer()),
    avatarUrl: fc.oneof(fc.webUrl(), fc.string()),
  }),
  fc.record({ encryptedData: fc.base64String({ maxLength: 400 }), iv: fc.base64String({ maxLength: 40 }) }),
  fc.record({
    rawData: fc.string({ maxLength: 100 }),
    signature: fc.oneof(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), maxLength: 60 }), fc.string()),
  }),
  fc.record({ reason: fc.oneof(fc.string({ maxLength: 600 }), fc.integer()) }),
);

/** A request body as raw bytes. */
const body = fc.oneof(
  { weight: 5, arbitrary: jsonish.map((v) => Buffer.from(JSON.stringify(v) ?? "null")) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 6000 }).map((d) => Buffer.from(`${"[".repeat(d)}${"]".repeat(d)}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 40_000 }).map((n) => Buffer.from(JSON.stringify({ code: "x".repeat(n) }))) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((b) => Buffer.concat([Buffer.from('{"code":"'), Buffer.from(b), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
);

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/vnd.api+json",
  undefined,
);

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 600 });
const auth = fc.constantFrom("none", "session", "admin", "garbage", "bearer-garbage", "admin-wrong");

const anyRequest = fc.record({
  route: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...ROUTES) }, { weight: 1, arbitrary: fc.constant(undefined) }),
  randomPath: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join("/")}`),
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE") },
  ),
  params: fc.array(segment, { minLength: 3, maxLength: 3 }),
  auth,
  garbage: printable,
  body,
  contentType,
  extraHeader: fc.option(fc.tuple(fc.constantFrom("x-request-id", "x-forwarded-for", "user-agent", "origin", "accept"), printable)),
});

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
let token = "";

function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  payload?: Buffer,
): Promise<{ status: number; body: string; type: string }> {
  const { hostname, port } = new URL(tx.url);
  // Node's client sends a DELETE or OPTIONS body with no Content-Length (those methods are not
  // chunked by default), so the server rightly reads the body as the next, malformed request and
  // its 400 + Connection: close lands on whatever this socket carries next. Frame every body.
  if (payload?.length) headers = { ...headers, "content-length": String(payload.length) };
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          type: String(res.headers["content-type"] ?? ""),
        }),
      );
    });
    req.on("error", reject);
    // A hung request is a finding: fail with what was sent rather than hang the suite.
    req.setTimeout(5000, () =>
      req.destroy(
        new Error(`no answer in 5 s: ${method} ${path} ${JSON.stringify(headers).slice(0, 300)} body ${payload?.length ?? 0} bytes`),
      ),
    );
    if (payload?.length) req.end(payload);
    else req.end();
  });
}

let fuzzerId = 0;

/**
 * A live token for the fuzzing user. The fuzzer may well have banned it (POST
 * /admin/users/1/ban is one of its small-number guesses): lift the ban and log in again.
 */
async function freshToken(): Promise<void> {
  let res = await tx.login("fuzzer");
  if (res.status === 403 && fuzzerId) {
    const unban = await fetch(`${tx.url}/admin/users/${fuzzerId}/ban`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(unban.status, 200);
    res = await tx.login("fuzzer");
  }
  assert.equal(res.status, 200);
  token = res.token as string;
  fuzzerId = res.userId as number;
}

test(`${RUNS} fuzzed requests: no 5xx, only documented JSON errors, healthy afterwards`, { timeout: 120_000 }, async (t) => {
  await freshToken();
  let sent = 0;
  const statuses = new Map<number, number>();
  const property = fc.asyncProperty(anyRequest, async (r) => {
    if (sent % 500 === 0) await freshToken();
    const params = [...r.params];
    // Raw paths keep "../" and quotes as they are; only what HTTP cannot carry is escaped.
    const path = (r.route ? r.route.path.replace(/:\w+/g, () => params.shift() ?? "x") : r.randomPath).replace(/[^\x21-\x7e]/gu, (c) =>
      encodeURIComponent(c),
    );
    const method = r.method ?? r.route?.method.toUpperCase() ?? "GET";
    const headers: Record<string, string> = {};
    if (r.auth === "session") headers["x-wx-token"] = token;
    if (r.auth === "admin") headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    if (r.auth === "admin-wrong") headers.authorization = `Bearer ${ADMIN_TOKEN}x`;
    if (r.auth === "garbage") headers["x-wx-token"] = r.garbage || "x";
    if (r.auth === "bearer-garbage") headers.authorization = `Bearer ${r.garbage}`;
    if (r.contentType) headers["content-type"] = r.contentType;
    if (r.extraHeader) headers[r.extraHeader[0]] = r.extraHeader[1] || "x";
    const payload = method === "GET" || method === "HEAD" ? undefined : r.body;
    const res = await send(method, path, headers, payload).catch((err: Error) => {
      throw new Error(`${method} ${path}: ${err.message}`);
    });
    sent++;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assert.ok(res.status < 500, `${method} ${path} → ${res.status} ${res.body.slice(0, 200)}`);
    if (res.status >= 400 && method !== "HEAD") {
      assert.match(
        res.type,
        /application\/json/,
        `${method} ${path} ${JSON.stringify(headers)} → ${res.status} not JSON: ${res.body.slice(0, 100)}`,
      );
      const parsed = JSON.parse(res.body) as { error?: { code?: string; message?: string } };
      assert.ok(KNOWN_CODES.has(parsed.error?.code ?? ""), `${method} ${path} → unknown code ${parsed.error?.code}`);
      assert.equal(typeof parsed.error?.message, "string");
      assert.ok(!res.body.includes("    at "), "no stack trace");
    }
  });
  // fast-check keeps the failing assertion in `cause`; the test runner shows only the message.
  await fc.assert(property, { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }) }).catch((err: Error) => {
    throw new Error(`${err.message}\n${String((err as { cause?: unknown }).cause)}`);
  });
  assert.ok(sent >= RUNS);
  t.diagnostic(`${sent} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  assert.equal((await fetch(`${tx.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${tx.url}/readyz`)).status, 200);
  assert.equal((await tx.login("after-fuzz")).status, 200);
  tx.healthyOutput();
  await assertConsistent(tx, null);
});
