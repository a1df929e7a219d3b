/**
 * The access_token as a service for the team's other backends
 * (`GET /internal/wechat/access-token`): one stable_token call per appid per lifetime across
 * instances and callers; a storm of invalidations after 40001 causes one refresh; the service
 * token guards it; off without it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { APPID, SECRET, type Stack, startStack } from "./support.js";

const LITE = "wxlite0123456789ab";
const SERVICE_TOKEN = randomBytes(24).toString("base64url");
const service = { "X-Tongxing-Service-Token": SERVICE_TOKEN, "X-Tongxing-Caller": "payments" };

let stack: Stack;
let siblingUrl: string;
before(async () => {
  stack = await startStack(
    {
      WECHAT_APPID: "",
      WECHAT_SECRET: "",
      WECHAT_APPS: JSON.stringify([
        { appid: APPID, secret: SECRET },
        { appid: LITE, secret: "lite-secret-0123456789" },
      ]),
      SERVICE_TOKEN,
      CALLER_NAMES: "payments, push",
    },
    { moreApps: [{ appid: LITE, secret: "lite-secret-0123456789" }], tokenDelayMs: 100 },
  );
  siblingUrl = (await stack.startSibling()).url;
});
after(() => stack.stop());

/** GET the token from one of the two instances. */
async function getToken(appid: string, instance = 0) {
  const url = `${instance % 2 ? siblingUrl : stack.url}/internal/wechat/access-token?appid=${appid}`;
  const res = await fetch(url, { headers: service });
  return { status: res.status, body: (await res.json()) as { accessToken: string; expiresAt: string; error?: { code: string } } };
}

const invalidate = (body: unknown, headers: Record<string, string> = service) =>
  stack.request("POST", "/internal/wechat/access-token/invalidate", { body, headers });

describe("GET /internal/wechat/access-token", () => {
  test("40 callers on two instances for two apps: one stable_token call per app, each app its own token", async () => {
    const calls = stack.fake.callCount("/cgi-bin/stable_token");
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => getToken(i < 20 ? APPID : LITE, i)));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.equal(stack.fake.callCount("/cgi-bin/stable_token") - calls, 2);
    const shop = answers[0]?.body as { accessToken: string; expiresAt: string };
    const lite = answers[39]?.body as { accessToken: string; expiresAt: string };
    assert.equal(shop.accessToken, stack.fake.currentAccessToken(APPID));
    assert.equal(lite.accessToken, stack.fake.currentAccessToken(LITE));
    assert.notEqual(shop.accessToken, lite.accessToken);
    const left = (Date.parse(shop.expiresAt) - Date.now()) / 1000;
    assert.ok(left > 6800 && left <= 6900, `cached for expires_in − 300 s, ${left} s left`);
    assert.equal(
      (await stack.request("GET", `/internal/wechat/access-token?appid=${APPID}`, { headers: service })).headers.get("cache-control"),
      "no-store",
    );
  });

  test("no appid with several apps, or an appid not configured → 400 APP_UNKNOWN", async () => {
    for (const query of ["", "?appid=wx00000000000000ff"]) {
      const res = await stack.request("GET", `/internal/wechat/access-token${query}`, { headers: service });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "APP_UNKNOWN");
    }
  });

  test("without, or with a wrong, service token → 401 SERVICE_UNAUTHORIZED, whatever the method", async () => {
    for (const [method, headers] of [
      ["GET", {}],
      ["GET", { "X-Tongxing-Service-Token": "wrong-service-token-0123456789abcdef" }],
      ["POST", {}],
      ["OPTIONS", {}],
      ["DELETE", { "X-Tongxing-Service-Token": `${SERVICE_TOKEN}x` }],
    ] as const) {
      const res = await stack.request(method, `/internal/wechat/access-token?appid=${APPID}`, { headers });
      assert.equal(res.status, 401, `${method} ${JSON.stringify(headers)}`);
      assert.equal(res.body.error.code, "SERVICE_UNAUTHORIZED");
      assert.ok(!res.text.includes(stack.fake.currentAccessToken(APPID) || "no token yet"));
    }
  });
});

describe("POST /internal/wechat/access-token/invalidate", () => {
  test("a stale token handed back is ignored; a storm of callers handing back the rejected one causes one refresh", async () => {
    const old = (await getToken(APPID)).body.accessToken;
    assert.equal((await invalidate({ appid: APPID, accessToken: "AT_not_the_cached_one" })).status, 204);
    assert.equal((await getToken(APPID)).body.accessToken, old, "another token handed back drops nothing");

    stack.fake.invalidateAccessToken(APPID); // WeChat now answers 40001 to `old`
    const calls = stack.fake.callCount("/cgi-bin/stable_token");
    const storm = await Promise.all(Array.from({ length: 10 }, () => invalidate({ appid: APPID, accessToken: old })));
    assert.deepEqual(new Set(storm.map((r) => r.status)), new Set([204]));
    const fresh = await Promise.all(Array.from({ length: 10 }, (_, i) => getToken(APPID, i)));
    assert.equal(stack.fake.callCount("/cgi-bin/stable_token") - calls, 1);
    assert.equal(new Set(fresh.map((f) => f.body.accessToken)).size, 1);
    assert.equal(fresh[0]?.body.accessToken, stack.fake.currentAccessToken(APPID));
    assert.notEqual(fresh[0]?.body.accessToken, old);
  });

  test("a bad body → 400 INVALID_REQUEST naming the field", async () => {
    const res = await invalidate({ appid: APPID });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, "INVALID_REQUEST");
    assert.match(res.body.error.message, /accessToken/);
  });

  test("counted per appid and caller; neither the access_token nor the service token reaches a log line", async () => {
    const metrics = (await stack.request("GET", "/metrics")).text;
    assert.match(
      metrics,
      new RegExp(`tongxing_internal_access_token_requests_total\\{appid="${APPID}",op="get",caller="payments"\\} \\d+`),
    );
    assert.match(metrics, /op="invalidate",caller="payments"/);
    assert.doesNotMatch(metrics, /caller="push"/, "a listed name that never called has no series");
    const logs = stack.logs.join("");
    for (const secret of [SERVICE_TOKEN, stack.fake.currentAccessToken(APPID), stack.fake.currentAccessToken(LITE)]) {
      assert.ok(secret && !logs.includes(secret));
    }
  });
});

describe("bounds on what a service-token holder can cost", () => {
  test("an X-Tongxing-Caller not in CALLER_NAMES is counted as other, none as unnamed: one series each, however many names", async () => {
    for (let i = 0; i < 5; i++) {
      const headers = { "X-Tongxing-Service-Token": SERVICE_TOKEN, "X-Tongxing-Caller": `made-up-${i}` };
      assert.equal((await stack.request("GET", `/internal/wechat/access-token?appid=${APPID}`, { headers })).status, 200);
    }
    const anonymous = { "X-Tongxing-Service-Token": SERVICE_TOKEN };
    assert.equal((await stack.request("GET", `/internal/wechat/access-token?appid=${APPID}`, { headers: anonymous })).status, 200);
    const metrics = (await stack.request("GET", "/metrics")).text;
    assert.doesNotMatch(metrics, /made-up/);
    assert.match(metrics, new RegExp(`tongxing_internal_access_token_requests_total\\{appid="${APPID}",op="get",caller="other"\\} 5`));
    assert.match(metrics, new RegExp(`tongxing_internal_access_token_requests_total\\{appid="${APPID}",op="get",caller="unnamed"\\} 1`));
  });

  test("INTERNAL_RATE_LIMIT per caller and IP: past it 429 RATE_LIMITED with Retry-After; made-up names share one budget", async () => {
    const limited = await startStack({ SERVICE_TOKEN, CALLER_NAMES: "payments", INTERNAL_RATE_LIMIT: "3" });
    try {
      const get = (caller: string) =>
        limited.request("GET", "/internal/wechat/access-token", {
          headers: { "X-Tongxing-Service-Token": SERVICE_TOKEN, "X-Tongxing-Caller": caller },
        });
      const statuses = [];
      for (const caller of ["rotating-1", "rotating-2", "rotating-3", "rotating-4"]) statuses.push((await get(caller)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429], "a new name each time buys no new budget");
      const refused = await get("rotating-5");
      assert.equal(refused.body.error.code, "RATE_LIMITED");
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal((await get("payments")).status, 200, "a listed caller has its own budget");
      const invalidated = await limited.request("POST", "/internal/wechat/access-token/invalidate", {
        body: { appid: APPID, accessToken: "AT_whatever" },
        headers: { "X-Tongxing-Service-Token": SERVICE_TOKEN, "X-Tongxing-Caller": "rotating-6" },
      });
      assert.equal(invalidated.status, 429, "invalidations count against the same budget");
    } finally {
      await limited.stop();
    }
  });
});

test("SERVICE_TOKEN unset: /internal answers 404 for every method", async () => {
  const plain = await startStack();
  try {
    for (const method of ["GET", "POST", "OPTIONS"]) {
      const res = await plain.request(method, "/internal/wechat/access-token", { headers: service });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.error.code, "NOT_FOUND");
    }
  } finally {
    await plain.stop();
  }
});
