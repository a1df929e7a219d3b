import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig } from "./config.js";
import { SECRET_VARIABLES } from "./secretFiles.js";

const dir = mkdtempSync(join(tmpdir(), "tongxing-secrets-"));
const KEY = Buffer.alloc(32, 7).toString("base64");
const TOKEN = "0123456789abcdef0123456789abcdef-admin";

function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

test("every secret variable has an X_FILE form; the file's trailing newline is trimmed", () => {
  assert.deepEqual([...SECRET_VARIABLES].sort(), [
    "ADMIN_TOKEN",
    "APPS",
    "DATABASE_URL",
    "METRICS_TOKEN",
    "REDIS_URL",
    "SERVICE_TOKEN",
    "SESSION_KEY_ENCRYPTION_KEY",
    "WEBHOOKS",
    "WECHAT_APPS",
    "WECHAT_SECRET",
  ]);
  const c = loadConfig({
    NODE_ENV: "production",
    WECHAT_APPID: "wx1111111111111111",
    WECHAT_SECRET_FILE: secretFile("wechat-secret", "app-secret\n"),
    SESSION_KEY_ENCRYPTION_KEY_FILE: secretFile("sk", `${KEY}\r\n`),
    ADMIN_TOKEN_FILE: secretFile("admin", `${TOKEN}\n`),
    DATABASE_URL_FILE: secretFile("db", "postgresql://tongxing:pw@db:5432/tongxing\n"),
    REDIS_URL_FILE: secretFile("redis", "redis://:pw@redis:6379\n"),
  });
  assert.equal((c.apps[0] as { secret?: string } | undefined)?.secret, "app-secret");
  assert.deepEqual(c.session.sessionKeyEncryptionKeys[0], Buffer.from(KEY, "base64"));
  assert.equal(c.adminToken, TOKEN);
  assert.equal(c.databaseUrl, "postgresql://tongxing:pw@db:5432/tongxing");
  assert.equal(c.redisUrl, "redis://:pw@redis:6379");
  const apps = JSON.stringify([{ appid: "wx2222222222222222", secret: "shop-secret" }]);
  assert.equal((loadConfig({ WECHAT_APPS_FILE: secretFile("apps", `${apps}\n`) }).apps[0] as { secret?: string }).secret, "shop-secret");
  // An empty X (compose's `X: ${X:-}`) is unset, not a second value.
  assert.equal(loadConfig({ ADMIN_TOKEN: "", ADMIN_TOKEN_FILE: secretFile("admin2", TOKEN) }).adminToken, TOKEN);
});

test("X and X_FILE both set: a start error naming both variables, never a value", () => {
  const path = secretFile("both", `${TOKEN}\n`);
  assert.throws(
    () => loadConfig({ ADMIN_TOKEN: `${TOKEN}-env`, ADMIN_TOKEN_FILE: path, SERVICE_TOKEN: TOKEN, SERVICE_TOKEN_FILE: path }),
    (err: Error) =>
      err instanceof ConfigError &&
      /ADMIN_TOKEN and ADMIN_TOKEN_FILE: set one/.test(err.message) &&
      /SERVICE_TOKEN and SERVICE_TOKEN_FILE: set one/.test(err.message) &&
      !err.message.includes(TOKEN),
  );
});

test("an unreadable X_FILE: a start error naming the variable and the path", () => {
  const missing = join(dir, "no-such-file");
  assert.throws(
    () => loadConfig({ SESSION_KEY_ENCRYPTION_KEY_FILE: missing }),
    (err: Error) => err instanceof ConfigError && err.message.includes(`SESSION_KEY_ENCRYPTION_KEY_FILE: cannot read ${missing}`),
  );
  assert.throws(() => loadConfig({ ADMIN_TOKEN_FILE: dir }), /ADMIN_TOKEN_FILE: cannot read/);
  // The file's content is validated like the variable's, and not echoed either.
  assert.throws(
    () => loadConfig({ SESSION_KEY_ENCRYPTION_KEY_FILE: secretFile("short", "c2hvcnQtc2VjcmV0\n") }),
    (err: Error) => /SESSION_KEY_ENCRYPTION_KEY: must be 32 bytes/.test(err.message) && !err.message.includes("c2hvcnQ"),
  );
});
