import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "./config.js";

const KEY = Buffer.alloc(32, 7).toString("base64");

test("defaults give a dev-mode config with an ephemeral key", () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.wechat.devMode, true);
  assert.equal(c.session.ephemeralKey, true);
  assert.equal(c.session.idleTtl, 604800);
  assert.equal(c.tokenHeader, "x-wx-token");
});

test("a bad value is named in the message, and its value is not echoed", () => {
  assert.throws(
    () => loadConfig({ SESSION_IDLE_TTL: "soon" }),
    (err: Error) => err instanceof ConfigError && /SESSION_IDLE_TTL/.test(err.message),
  );
  assert.throws(
    () => loadConfig({ SESSION_KEY_ENCRYPTION_KEY: "c2hvcnQtc2VjcmV0" }),
    (err: Error) => /SESSION_KEY_ENCRYPTION_KEY: must be 32 bytes/.test(err.message) && !err.message.includes("c2hvcnQtc2VjcmV0"),
  );
  assert.throws(() => loadConfig({ TOKEN_HEADER: "X WX" }), /TOKEN_HEADER/);
  assert.throws(() => loadConfig({ ADMIN_TOKEN: "too-short" }), /ADMIN_TOKEN: must be 32 to 512 printable ASCII/);
  assert.throws(() => loadConfig({ ADMIN_TOKEN: `${"a".repeat(40)} with spaces` }), /ADMIN_TOKEN/);
});

test("production refuses to start without WeChat credentials or the encryption key", () => {
  assert.throws(() => loadConfig({ NODE_ENV: "production", SESSION_KEY_ENCRYPTION_KEY: KEY }), /WECHAT_APPID, WECHAT_SECRET: required/);
  assert.throws(
    () => loadConfig({ NODE_ENV: "production", WECHAT_APPID: "wx1", WECHAT_SECRET: "s" }),
    /SESSION_KEY_ENCRYPTION_KEY: required/,
  );
  const c = loadConfig({ NODE_ENV: "production", WECHAT_APPID: "wx1", WECHAT_SECRET: "s", SESSION_KEY_ENCRYPTION_KEY: KEY });
  assert.equal(c.wechat.devMode, false);
  assert.equal(c.session.ephemeralKey, false);
});

test("half the WeChat credentials is an error, not dev mode", () => {
  assert.throws(() => loadConfig({ WECHAT_APPID: "wx1" }), /set both, or neither/);
});

test("WECHAT_APPS: several apps, the primary first; a bad one is named by its path and never echoed", () => {
  const apps = [
    { appid: "wx1111111111111111", secret: "shop-secret", name: "shop" },
    { appid: "wx2222222222222222", secret: "lite-secret" },
  ];
  const c = loadConfig({ WECHAT_APPS: JSON.stringify(apps) });
  assert.equal(c.wechat.devMode, false);
  assert.deepEqual(
    c.wechat.apps.map((a) => [a.appid, a.name]),
    [
      ["wx1111111111111111", "shop"],
      ["wx2222222222222222", "wx2222222222222222"],
    ],
  );
  assert.throws(
    () => loadConfig({ WECHAT_APPS: JSON.stringify(apps), WECHAT_APPID: "wx1111111111111111", WECHAT_SECRET: "s" }),
    /WECHAT_APPS and WECHAT_APPID\/WECHAT_SECRET: set one form, not both/,
  );
  const broken = '[{"appid": "wx1111111111111111", "secret": "top-secret-value"';
  assert.throws(
    () => loadConfig({ WECHAT_APPS: broken }),
    (err: Error) => /WECHAT_APPS: must be a JSON array/.test(err.message) && !err.message.includes("top-secret-value"),
  );
  const badAppid = JSON.stringify([apps[0], { appid: "wx-nope", secret: "top-secret-value" }]);
  assert.throws(
    () => loadConfig({ WECHAT_APPS: badAppid }),
    (err: Error) => /WECHAT_APPS\[1\]\.appid: must be wx/.test(err.message) && !err.message.includes("top-secret-value"),
  );
  assert.throws(() => loadConfig({ WECHAT_APPS: JSON.stringify([apps[0], apps[0]]) }), /WECHAT_APPS: lists an appid twice/);
  assert.throws(() => loadConfig({ WECHAT_APPS: "[]" }), /WECHAT_APPS: must list at least one app/);
});

test("STARTUP_TIMEOUT: seconds, 120 by default, a positive integer", () => {
  assert.equal(loadConfig({}).startupTimeout, 120);
  assert.equal(loadConfig({ STARTUP_TIMEOUT: "5" }).startupTimeout, 5);
  for (const bad of ["0", "-1", "2.5", "soon"]) assert.throws(() => loadConfig({ STARTUP_TIMEOUT: bad }), /STARTUP_TIMEOUT/);
});
