/**
 * Several instances starting together (compose, Kubernetes, `docker compose up --scale`), as
 * real processes: against a database that does not exist yet and against an existing empty one,
 * every instance comes up, and the migrations are applied exactly once.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import pg from "pg";
import { dropDatabase, ensureDatabase } from "../src/db/database.js";
import { applyMigrations } from "../src/db/schemaEngine.js";
import { FakeWechat } from "../src/wechat/fakeServer.js";
import { productionEnv, type ServerProcess, startProcess } from "./process.js";
import { APPID, clearRedisPrefix, freshDatabaseUrl, SECRET } from "./support.js";

const INSTANCES = 3;
let fake: FakeWechat;
const cleanups: (() => Promise<unknown>)[] = [];
before(async () => {
  fake = await new FakeWechat({ appid: APPID, secret: SECRET }).start();
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await fake.stop();
});

async function startTogether(databaseUrl: string): Promise<ServerProcess[]> {
  const prefix = `tstart${randomBytes(3).toString("hex")}:`;
  cleanups.push(() => clearRedisPrefix(prefix));
  const env = productionEnv(fake.baseUrl, databaseUrl, prefix);
  const started = await Promise.allSettled(Array.from({ length: INSTANCES }, () => startProcess(env)));
  for (const s of started) if (s.status === "fulfilled") cleanups.push(async () => s.value.child.kill("SIGKILL"));
  const failed = started.filter((s) => s.status === "rejected").map((s) => String((s as PromiseRejectedResult).reason));
  assert.deepEqual(failed, [], "every instance comes up");
  return started.map((s) => (s as PromiseFulfilledResult<ServerProcess>).value);
}

async function appliedMigrations(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query("SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL")).rows[0].n;
  } finally {
    await client.end();
  }
}

for (const [name, prepare] of [
  ["a database that does not exist yet", async (_url: string) => {}],
  ["an existing empty database", async (url: string) => void (await ensureDatabase(url))],
] as const) {
  test(`${INSTANCES} instances started at once on ${name} all become ready`, { timeout: 180_000 }, async () => {
    const databaseUrl = freshDatabaseUrl();
    cleanups.push(() => dropDatabase(databaseUrl));
    await prepare(databaseUrl);
    const instances = await startTogether(databaseUrl);
    for (const instance of instances) {
      const ready = await fetch(`${instance.url}/readyz`);
      assert.equal(ready.status, 200, instance.output());
    }
    const logs = instances.map((i) => i.output());
    assert.equal(logs.filter((l) => l.includes("applied migrations")).length, 1, "one instance migrated, the others found nothing to do");
    const local = (await import("node:fs/promises")).readdir("prisma/migrations", { withFileTypes: true });
    assert.equal(await appliedMigrations(databaseUrl), (await local).filter((e) => e.isDirectory()).length);
  });
}

test("waiting for another instance's migrations is bounded by MIGRATION_LOCK_TIMEOUT, with a clear error", async () => {
  const databaseUrl = freshDatabaseUrl();
  cleanups.push(() => dropDatabase(databaseUrl));
  await ensureDatabase(databaseUrl);
  const holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  try {
    // What a migrating instance holds (the key is schemaEngine.ts's MIGRATION_LOCK_KEY, "txmg").
    await holder.query("SELECT pg_advisory_lock($1)", [0x74786d67]);
    const started = performance.now();
    await assert.rejects(applyMigrations(databaseUrl, 1), /MIGRATION_LOCK_TIMEOUT \(1 s\)/);
    assert.ok(performance.now() - started < 5000);
  } finally {
    await holder.end();
  }
  assert.ok((await applyMigrations(databaseUrl, 1)).length > 0, "applied once the lock is free");
});
