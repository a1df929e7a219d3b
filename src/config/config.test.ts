import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "./config.js";

const KEY = Buffer.alloc(32, 7).toString("base64");

test("defaults give a dev-mode config with an ephemeral key", () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.devMode, true);
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
  assert.throws(() => loadConfig({ ADMIN_TOKEN: "too-short" }), /ADMIN_TOKEN: must be 32 to 512 characters/);
  assert.throws(() => loadConfig({ ADMIN_TOKEN: `${"a".repeat(40)} with spaces` }), /ADMIN_TOKEN/);
});

test("production refuses to start without WeChat credentials or the encryption key", () => {
  assert.throws(() => loadConfig({ NODE_ENV: "production", SESSION_KEY_ENCRYPTION_KEY: KEY }), /WECHAT_APPID, WECHAT_SECRET: required/);
  assert.throws(
    () => loadConfig({ NODE_ENV: "production", WECHAT_APPID: "wx1", WECHAT_SECRET: "s" }),
    /SESSION_KEY_ENCRYPTION_KEY: required/,
  );
  const c = loadConfig({ NODE_ENV: "production", WECHAT_APPID: "wx1", WECHAT_SECRET: "s", SESSION_KEY_ENCRYPTION_KEY: KEY });
  assert.equal(c.devMode, false);
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
  assert.equal(c.devMode, false);
  assert.deepEqual(
    c.apps.map((a) => [a.appid, a.name]),
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

test("ADMIN_TOKEN, SERVICE_TOKEN, METRICS_TOKEN: only characters plain in a header and an nginx string, named and never echoed", () => {
  const base = "0123456789abcdef0123456789abcdef";
  for (const name of ["ADMIN_TOKEN", "SERVICE_TOKEN", "METRICS_TOKEN"]) {
    for (const bad of ["$host0123", '"x', "\\x", "'x", ";x", "{x}", "#x", "x y", "é"]) {
      assert.throws(
        () => loadConfig({ [name]: `${base}${bad}` }),
        (err: Error) => new RegExp(`${name}: must be .*A-Z a-z 0-9`).test(err.message) && !err.message.includes(base),
        `${name} with ${JSON.stringify(bad)}`,
      );
    }
    // openssl rand -hex 32 and -base64 32, and base64url, as the docs suggest.
    for (const good of [base + base, "q83vEjRWeJq8PkE3z0Pfw8m0bVn4eL3xNQ2k9hOXyZA=", `${base}-._~+/`]) {
      assert.doesNotThrow(() => loadConfig({ [name]: good }), name);
    }
  }
});

test("TRUSTED_PROXIES: IPs, CIDRs and keywords as canonical CIDRs; TRUST_PROXY=true is the nearest hop", () => {
  assert.deepEqual(loadConfig({}).trustedProxies, []);
  assert.deepEqual(loadConfig({ TRUSTED_PROXIES: " 10.0.0.0/8, 192.0.2.7,2001:DB8::/32 ,loopback" }).trustedProxies, [
    "10.0.0.0/8",
    "192.0.2.7/32",
    "2001:db8::/32",
    "127.0.0.0/8",
    "::1/128",
  ]);
  assert.equal(loadConfig({ TRUST_PROXY: "true" }).trustedProxies, "nearest-hop");
  assert.deepEqual(loadConfig({ TRUST_PROXY: "false" }).trustedProxies, []);
  for (const bad of ["10.0.0.0/33", "10", "10/8", "proxy.internal", "10.0.0.0/8/1", "10.0.0.0/x"]) {
    assert.throws(() => loadConfig({ TRUSTED_PROXIES: `192.0.2.1,${bad}` }), /TRUSTED_PROXIES: must be comma-separated IP/, bad);
  }
  assert.throws(() => loadConfig({ TRUSTED_PROXIES: "10.0.0.0/8", TRUST_PROXY: "true" }), /TRUST_PROXY and TRUSTED_PROXIES/);
});

test("CALLER_NAMES: a bounded list of names; INTERNAL_RATE_LIMIT defaults to 600 a minute", () => {
  assert.deepEqual(loadConfig({}).callerNames, []);
  assert.equal(loadConfig({}).internalRateLimit, 600);
  assert.deepEqual(loadConfig({ CALLER_NAMES: "payments, push,cs.bot" }).callerNames, ["payments", "push", "cs.bot"]);
  for (const bad of ["pay ments", "a,,b", "x".repeat(33), Array.from({ length: 101 }, (_, i) => `c${i}`).join(",")]) {
    assert.throws(() => loadConfig({ CALLER_NAMES: bad }), /CALLER_NAMES: must be at most 100/, bad);
  }
  assert.throws(() => loadConfig({ INTERNAL_RATE_LIMIT: "0" }), /INTERNAL_RATE_LIMIT/);
});

test("STARTUP_TIMEOUT: seconds, 120 by default, a positive integer", () => {
  assert.equal(loadConfig({}).startupTimeout, 120);
  assert.equal(loadConfig({ STARTUP_TIMEOUT: "5" }).startupTimeout, 5);
  for (const bad of ["0", "-1", "2.5", "soon"]) assert.throws(() => loadConfig({ STARTUP_TIMEOUT: bad }), /STARTUP_TIMEOUT/);
});

test("SESSION_KEY_ENCRYPTION_KEY: a keyring, newest first; a bad key is named by position and never echoed", () => {
  const older = Buffer.alloc(32, 9).toString("base64");
  const c = loadConfig({ SESSION_KEY_ENCRYPTION_KEY: ` ${KEY} , ${older}` });
  assert.deepEqual(
    c.session.sessionKeyEncryptionKeys.map((k) => k.toString("base64")),
    [KEY, older],
  );
  assert.equal(c.session.ephemeralKey, false);
  assert.equal(loadConfig({ SESSION_KEY_ENCRYPTION_KEY: KEY }).session.sessionKeyEncryptionKeys.length, 1);
  for (const bad of [`${KEY},c2hvcnQtc2VjcmV0`, `${KEY},`, `${KEY},${KEY}`]) {
    assert.throws(
      () => loadConfig({ SESSION_KEY_ENCRYPTION_KEY: bad }),
      (err: Error) => /SESSION_KEY_ENCRYPTION_KEY: /.test(err.message) && !err.message.includes(KEY) && !err.message.includes("c2hvcnQ"),
      bad,
    );
  }
});

test("REDIS_TLS_CA_FILE is read in for rediss://, refused with redis:// or when unreadable; REDIS_EVICTION_CHECK", () => {
  const c = loadConfig({ REDIS_URL: "rediss://redis.internal:6380", REDIS_TLS_CA_FILE: "package.json" });
  assert.ok(c.redisTlsCa?.toString().includes('"name"'));
  assert.equal(c.redisEvictionCheck, "warn");
  assert.equal(loadConfig({}).redisTlsCa, undefined);
  assert.throws(() => loadConfig({ REDIS_TLS_CA_FILE: "package.json" }), /REDIS_TLS_CA_FILE: set, but REDIS_URL is not rediss:\/\//);
  assert.throws(
    () => loadConfig({ REDIS_URL: "rediss://:pw@redis:6380", REDIS_TLS_CA_FILE: "/nonexistent/ca.pem" }),
    (err: Error) => /REDIS_TLS_CA_FILE: cannot read \/nonexistent\/ca.pem \(ENOENT\)/.test(err.message) && !err.message.includes("pw@"),
  );
  assert.equal(loadConfig({ REDIS_EVICTION_CHECK: "refuse" }).redisEvictionCheck, "refuse");
  assert.throws(() => loadConfig({ REDIS_EVICTION_CHECK: "strict" }), /REDIS_EVICTION_CHECK/);
});
