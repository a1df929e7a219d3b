/**
 * MySQL/MariaDB unreachable (a cuttable proxy in front of the machine's MariaDB): requests that
 * need the database get 503 SERVICE_UNAVAILABLE, never 500, and recover when it is back; and
 * three instances starting together on a missing or an empty database migrate it once.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { after, before, test } from "node:test";
import pino from "pino";
import { startupWait } from "../src/clients/readiness.js";
import { dropDatabase } from "../src/db/database.js";
import { awaitMigrated, migrateDatabase } from "../src/db/migrate.js";
import { ensureMysqlDatabase } from "../src/db/mysql.js";
import { pendingMysqlMigrations } from "../src/db/mysqlMigrations.js";
import { CuttableProxy } from "./proxy.js";
import { freshDatabaseUrl, type Stack, startStack } from "./support.js";

let proxy: CuttableProxy;
let stack: Stack;
before(async () => {
  proxy = await new CuttableProxy(3306).start();
  const url = new URL(freshDatabaseUrl("mysql"));
  url.port = String(proxy.port);
  stack = await startStack({ DATABASE_URL: url.toString() });
});
after(async () => {
  proxy.restore();
  await stack.stop();
  await proxy.stop();
});

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms`);
}

test("MySQL down: logins (returning and new) and /me get 503, session-only routes keep answering, then recover", async () => {
  const { body } = await stack.login("mona");
  proxy.cut();
  const returning = await stack.login("mona");
  assert.equal(returning.status, 503, returning.text);
  assert.equal(returning.body.error.code, "SERVICE_UNAVAILABLE");
  const fresh = await stack.login("nadia");
  assert.equal(fresh.status, 503, fresh.text);
  assert.equal((await stack.request("GET", "/me", { token: body.token })).status, 503);
  assert.equal((await stack.request("GET", "/auth/session", { token: body.token })).status, 200);
  const ready = await stack.request("GET", "/readyz");
  assert.deepEqual([ready.status, ready.body.checks.database, ready.body.checks.redis], [503, "down", "ok"]);
  proxy.restore();
  await until(async () => (await stack.login("mona")).status === 200, 10_000);
  assert.equal((await stack.request("GET", "/me", { token: body.token })).status, 200);
  assert.ok(!stack.logs.join("").includes(body.token), "no token in the logs of the failures");
});

for (const start of ["missing", "empty"] as const) {
  test(`three instances starting together on a ${start} MySQL database: migrated once`, async () => {
    const url = freshDatabaseUrl("mysql");
    const log = pino({ level: "silent" });
    try {
      if (start === "empty") await ensureMysqlDatabase(url);
      const history = (await readdir(new URL("../prisma/mysql/migrations/", import.meta.url), { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
      assert.deepEqual(await pendingMysqlMigrations(url).catch(() => "no database"), start === "empty" ? history : "no database");
      const runs = await Promise.all([1, 2, 3].map(() => migrateDatabase(url, 60, log, startupWait(log, 60))));
      assert.deepEqual(
        runs.map((r) => r.length).sort(),
        [0, 0, history.length],
        "one instance applies the whole history, the others wait and apply nothing",
      );
      assert.deepEqual(await pendingMysqlMigrations(url), [], "what MIGRATE_ON_START=false waits for is done");
      await awaitMigrated(url, startupWait(log, 5));
    } finally {
      await dropDatabase(url);
    }
  });
}
