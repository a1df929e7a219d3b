/**
 * Migrations as their own step: `tongxing migrate` applies what is pending and exits, needing only
 * DATABASE_URL; with MIGRATE_ON_START=false the service changes no schema, waits (with a line
 * saying why) while migrations are pending, and runs as a role that may read and write its tables
 * but not change them (docs/database.md's CREATE ROLE and GRANT lines, run here as written).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { dropDatabase } from "../src/db/database.js";
import { applyMigrations, pendingMigrations } from "../src/db/schemaEngine.js";
import { runUntilExit } from "./process.js";
import { freshDatabaseUrl, type Stack, startStack } from "./support.js";

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const migrationCount = async () => (await readdir("prisma/migrations", { withFileTypes: true })).filter((d) => d.isDirectory()).length;

/** Runs `src/main.ts migrate` with only `env` (no WeChat, no keys) and waits for it to exit. */
function migrate(env: Record<string, string>) {
  return runUntilExit({ NODE_ENV: "production", ...env }, ["--import", "tsx", "src/main.ts", "migrate"]);
}

test("tongxing migrate creates the database, applies every migration, exits 0; a second run applies none", async () => {
  const databaseUrl = freshDatabaseUrl();
  cleanups.push(() => dropDatabase(databaseUrl));
  const first = await migrate({ DATABASE_URL: databaseUrl });
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /applied migrations/);
  const rows = await query<{ n: string }>(databaseUrl, "SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL");
  assert.equal(Number(rows[0]?.n), await migrationCount());
  const second = await migrate({ DATABASE_URL: databaseUrl });
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, /no pending migrations/);
});

test("tongxing migrate takes DATABASE_URL_FILE like the service", async () => {
  const databaseUrl = freshDatabaseUrl();
  cleanups.push(() => dropDatabase(databaseUrl));
  const dir = await mkdtemp(path.join(tmpdir(), "tx-migrate-"));
  cleanups.push(() => rm(dir, { recursive: true }));
  await writeFile(path.join(dir, "database_url"), `${databaseUrl}\n`);
  const run = await migrate({ DATABASE_URL_FILE: path.join(dir, "database_url") });
  assert.equal(run.code, 0, run.output);
  assert.doesNotMatch(run.output, new RegExp(new URL(databaseUrl).pathname.slice(1)), "the URL stays out of the log");
  assert.equal((await pendingMigrations(databaseUrl)).length, 0);
});

test("tongxing migrate names a bad DATABASE_URL and exits 1", async () => {
  const bad = await migrate({ DATABASE_URL: "not a url" });
  assert.equal(bad.code, 1);
  assert.match(bad.output, /DATABASE_URL/);
});

test("MIGRATE_ON_START=false: the service waits while migrations are pending, saying so, and serves once they are applied", async () => {
  const databaseUrl = freshDatabaseUrl();
  await query(new URL("/postgres", databaseUrl).toString(), `CREATE DATABASE "${new URL(databaseUrl).pathname.slice(1)}"`);
  const starting = startStack({ DATABASE_URL: databaseUrl, MIGRATE_ON_START: "false", STARTUP_TIMEOUT: "30" });
  let stack: Stack | undefined;
  cleanups.push(async () => (stack ?? (await starting.catch(() => undefined)))?.stop() ?? dropDatabase(databaseUrl));
  // It must not migrate by itself: nothing is applied while it waits.
  await new Promise((r) => setTimeout(r, 1500));
  const tables = await query<{ n: string }>(databaseUrl, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'");
  assert.equal(Number(tables[0]?.n), 0, "the service applied no migration");
  await applyMigrations(databaseUrl);
  stack = await starting;
  assert.ok(
    stack.logs.some((l) => /waiting for PostgreSQL.*migrations? pending.*tongxing migrate/.test(l)),
    stack.logs.join(""),
  );
  assert.equal((await stack.login("migrate-later")).status, 200);
});

test("MIGRATE_ON_START=false as a role that cannot change the schema: logins, sessions and admin work", async () => {
  const databaseUrl = freshDatabaseUrl();
  cleanups.push(() => dropDatabase(databaseUrl));
  assert.equal((await migrate({ DATABASE_URL: databaseUrl })).code, 0);
  const role = `tongxing_app_${randomBytes(4).toString("hex")}`;
  const db = new URL(databaseUrl).pathname.slice(1);
  // docs/database.md, "A role for the service", with the names filled in.
  await query(
    databaseUrl,
    `CREATE ROLE ${role} LOGIN PASSWORD 'app-password';
     GRANT CONNECT ON DATABASE "${db}" TO ${role};
     GRANT USAGE ON SCHEMA public TO ${role};
     GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
     GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};`,
  );
  cleanups.push(() => query(new URL("/postgres", databaseUrl).toString(), `DROP ROLE IF EXISTS ${role}`));
  cleanups.push(() => query(databaseUrl, `DROP OWNED BY ${role}`));
  const asRole = new URL(databaseUrl);
  asRole.username = role;
  asRole.password = "app-password";
  await assert.rejects(
    query(asRole.toString(), "CREATE TABLE x (id int)"),
    /permission denied/,
    "the role really cannot change the schema",
  );
  const stack = await startStack({ DATABASE_URL: asRole.toString(), MIGRATE_ON_START: "false", ADMIN_TOKEN: "a".repeat(32) });
  try {
    const login = await stack.login("limited-role");
    assert.equal(login.status, 200, login.text);
    const me = await stack.request("PATCH", "/me", { token: login.body.token, body: { nickname: "小通" } });
    assert.equal(me.status, 200, me.text);
    const user = await stack.request("GET", `/admin/users/${login.body.user.id}`, {
      headers: { authorization: `Bearer ${"a".repeat(32)}` },
    });
    assert.equal(user.status, 200, user.text);
  } finally {
    // Its database is dropped by the cleanups above, as a superuser: the role may not.
    await stack.stop().catch(() => {});
  }
});
