/**
 * Secrets as files (Docker and Kubernetes secrets) through the real process: X_FILE read at
 * start, and the start errors an operator sees, which name variables and paths, never values.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { dropDatabase } from "../src/db/database.js";
import { FakeWechat } from "../src/wechat/fakeServer.js";
import { productionEnv, runUntilExit, startProcess } from "./process.js";
import { APPID, clearRedisPrefix, freshDatabaseUrl, SECRET } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "tongxing-secret-files-"));
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${content}\n`, { mode: 0o600 });
  return path;
}

/** Runs src/main.ts with `env` over this process's; resolves with its exit code and output. */
async function startFailing(env: Record<string, string>) {
  // One that starts after all is killed, so the test fails instead of hanging.
  const { code, output } = await runUntilExit(env, undefined, 30_000);
  return { code, out: output };
}

test("a production process takes its secrets from X_FILE", async () => {
  const fake = await new FakeWechat({ appid: APPID, secret: SECRET }).start();
  cleanups.push(() => fake.stop());
  const databaseUrl = freshDatabaseUrl();
  cleanups.push(() => dropDatabase(databaseUrl));
  const prefix = `tsf${randomBytes(3).toString("hex")}:`;
  cleanups.push(() => clearRedisPrefix(prefix));
  const adminToken = randomBytes(32).toString("hex");
  const env = productionEnv(fake.baseUrl, "", prefix, {
    DATABASE_URL: "",
    DATABASE_URL_FILE: secretFile("database-url", databaseUrl),
    WECHAT_SECRET: "",
    WECHAT_SECRET_FILE: secretFile("wechat-secret", SECRET),
    SESSION_KEY_ENCRYPTION_KEY: "",
    SESSION_KEY_ENCRYPTION_KEY_FILE: secretFile("sk", randomBytes(32).toString("base64")),
    ADMIN_TOKEN_FILE: secretFile("admin-token", adminToken),
  });
  const server = await startProcess(env);
  cleanups.push(async () => server.child.kill("SIGKILL"));
  const login = await fetch(`${server.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: `files#${prefix}` }),
  });
  assert.equal(login.status, 200, "the app secret and the key came from their files");
  const admin = await fetch(`${server.url}/admin/overview`, { headers: { authorization: `Bearer ${adminToken}` } });
  assert.equal(admin.status, 200, "the admin token came from its file, newline trimmed");
  assert.ok(!server.output().includes(adminToken));
});

test("X and X_FILE both set, or an unreadable X_FILE: the process refuses to start, naming them", async () => {
  const token = randomBytes(32).toString("hex");
  const both = await startFailing({ ADMIN_TOKEN: token, ADMIN_TOKEN_FILE: secretFile("admin", token), LOG_LEVEL: "info" });
  assert.equal(both.code, 1);
  assert.match(both.out, /ADMIN_TOKEN and ADMIN_TOKEN_FILE: set one, not both/);
  assert.ok(!both.out.includes(token), "never the value");
  const missing = join(dir, "not-mounted");
  const unreadable = await startFailing({ SESSION_KEY_ENCRYPTION_KEY: "", SESSION_KEY_ENCRYPTION_KEY_FILE: missing });
  assert.equal(unreadable.code, 1);
  assert.ok(unreadable.out.includes(`SESSION_KEY_ENCRYPTION_KEY_FILE: cannot read ${missing}`), unreadable.out);
});
