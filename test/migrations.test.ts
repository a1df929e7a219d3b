/**
 * The migrations and prisma/schema.prisma agree: a database built by applying the migrations
 * has exactly the columns and indexes of one built straight from the schema, and start-up
 * creates a missing database.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, test } from "node:test";
import pg from "pg";
import { dropDatabase, ensureDatabase } from "../src/db/database.js";
import { applyMigrations, diffSchemas, isEmptyDiff, SCHEMA_PATH, SNAPSHOT_PATH } from "../src/db/schemaEngine.js";
import { freshDatabaseUrl } from "./support.js";

const created: string[] = [];
after(async () => {
  for (const url of created) await dropDatabase(url);
});

async function describeDb(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cols = await client.query(
      `SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1, 2`,
    );
    const idx = await client.query(
      `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`,
    );
    return [...cols.rows, ...idx.rows].map((r) => JSON.stringify(r));
  } finally {
    await client.end();
  }
}

test("ensureDatabase creates a missing database once, and migrations apply once", async () => {
  const url = freshDatabaseUrl();
  created.push(url);
  assert.equal(await ensureDatabase(url), true);
  assert.equal(await ensureDatabase(url), false);
  const applied = await applyMigrations(url);
  assert.ok(applied.length >= 1);
  assert.deepEqual(await applyMigrations(url), [], "nothing pending the second time");
});

test("migrations reproduce schema.prisma exactly", async () => {
  const migrated = freshDatabaseUrl();
  const direct = freshDatabaseUrl();
  created.push(migrated, direct);
  await ensureDatabase(migrated);
  await ensureDatabase(direct);
  await applyMigrations(migrated);
  const sql = await diffSchemas(direct, null, await readFile(SCHEMA_PATH, "utf8"));
  const client = new pg.Client({ connectionString: direct });
  await client.connect();
  await client.query(sql);
  await client.end();
  assert.deepEqual(await describeDb(migrated), await describeDb(direct));
});

test("the snapshot of the newest migration is the current schema (run npm run db:migration)", async () => {
  const url = freshDatabaseUrl();
  created.push(url);
  await ensureDatabase(url);
  const sql = await diffSchemas(url, await readFile(SNAPSHOT_PATH, "utf8"), await readFile(SCHEMA_PATH, "utf8"));
  assert.ok(isEmptyDiff(sql), `schema.prisma changed without a migration:\n${sql}`);
});
