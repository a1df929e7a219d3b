import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../config/config.js";

const SECRET = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
/** A configured app: not dev mode, so endpoints must be https:// unless on loopback. */
const APP = { WECHAT_APPID: "wx1111111111111111", WECHAT_SECRET: "s" };

/** loadConfig's message for `WEBHOOKS`, or "" when it was accepted. */
function problem(webhooks: unknown, env: Record<string, string> = APP): string {
  try {
    loadConfig({ ...env, WEBHOOKS: typeof webhooks === "string" ? webhooks : JSON.stringify(webhooks) });
    return "";
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
}

test("WEBHOOKS: endpoints with their event filter and includeOpenid; unset or [] sends nothing; the WEBHOOK_ defaults", () => {
  const c = loadConfig({
    ...APP,
    WEBHOOKS: JSON.stringify([
      { url: "https://chat.example.com/hooks", secret: SECRET, events: ["session.ended", "user.deleted"] },
      { url: "http://127.0.0.1:8080/tongxing", secret: SECRET, includeOpenid: true },
    ]),
  });
  assert.deepEqual(c.webhooks.endpoints, [
    { url: "https://chat.example.com/hooks", secret: SECRET, events: ["session.ended", "user.deleted"], includeOpenid: false },
    { url: "http://127.0.0.1:8080/tongxing", secret: SECRET, events: null, includeOpenid: true },
  ]);
  assert.deepEqual(c.webhooks, {
    endpoints: c.webhooks.endpoints,
    timeout: 10,
    retrySchedule: [5, 30, 120, 600, 3600, 14400],
    giveUpAfter: 259200,
    retention: 604800,
  });
  assert.deepEqual(loadConfig(APP).webhooks.endpoints, []);
  assert.deepEqual(loadConfig({ ...APP, WEBHOOKS: "[]" }).webhooks.endpoints, []);
  const tuned = loadConfig({ ...APP, WEBHOOK_RETRY_SCHEDULE: "1, 2,3", WEBHOOK_TIMEOUT: "2", WEBHOOK_RETENTION: "60" }).webhooks;
  assert.deepEqual([tuned.retrySchedule, tuned.timeout, tuned.retention], [[1, 2, 3], 2, 60]);
  assert.throws(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: "5,soon" }), /WEBHOOK_RETRY_SCHEDULE: must be 1 to 20/);
  assert.throws(() => loadConfig({ WEBHOOK_TIMEOUT: "0" }), /WEBHOOK_TIMEOUT/);
});

test("WEBHOOKS: a bad entry is named by its path, and no value is ever echoed", () => {
  const good = { url: "https://hooks.example.com/a?token=url-token-kept-private", secret: SECRET };
  const cases: [unknown, RegExp][] = [
    ["not json", /WEBHOOKS: must be a JSON array/],
    [{ url: good.url }, /WEBHOOKS: Invalid input: expected array/],
    [
      [good, { ...good, url: "https://b.example.com", secret: "whsec_c2hvcnQ=" }],
      /WEBHOOKS\[1\]\.secret: must be whsec_ followed by 24 to 64/,
    ],
    [[{ ...good, secret: Buffer.alloc(32).toString("base64") }], /WEBHOOKS\[0\]\.secret: must be whsec_/],
    [[{ ...good, url: "http://hooks.example.com/a?token=url-token-kept-private" }], /WEBHOOKS\[0\]\.url: must be https:\/\//],
    [[{ ...good, url: "ftp://hooks.example.com/" }], /WEBHOOKS\[0\]\.url: must be an http\(s\) URL/],
    [[{ ...good, events: ["session.expired"] }], /WEBHOOKS\[0\]\.events\[0\]: must be one of user\.created, /],
    [[{ ...good, events: [] }], /WEBHOOKS\[0\]\.events: must list at least one/],
    [[{ ...good, includeOpenid: "yes" }], /WEBHOOKS\[0\]\.includeOpenid: must be true or false/],
    [[{ ...good, extra: 1 }], /WEBHOOKS\[0\]: Unrecognized key/],
    [[good, good], /WEBHOOKS: lists a url twice/],
  ];
  for (const [value, expected] of cases) {
    const message = problem(value);
    assert.match(message, expected, JSON.stringify(value));
    assert.ok(!message.includes(SECRET.slice(6, 20)), message);
    assert.ok(!message.includes("url-token-kept-private"), message);
    assert.ok(!message.includes("c2hvcnQ"), message);
  }
});

test("WEBHOOKS: http:// to loopback always, to any host in dev mode", () => {
  for (const url of ["http://localhost:9000/", "http://127.0.0.1/x", "http://[::1]:9000/"])
    assert.equal(problem([{ url, secret: SECRET }]), "");
  assert.equal(problem([{ url: "http://receiver.internal/", secret: SECRET }], {}), "");
  assert.match(problem([{ url: "http://10.0.0.5/", secret: SECRET }]), /must be https:\/\//);
});
