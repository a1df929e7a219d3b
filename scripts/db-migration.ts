/**
 * Writes a new migration without the Prisma CLI (see docs/database.md): diffs
 * prisma/migrations/schema.snapshot.prisma (the schema as of the newest migration) against
 * prisma/schema.prisma, writes the SQL to prisma/migrations/<timestamp>_<name>/migration.sql,
 * and moves the snapshot forward.
 *
 *   npm run db:migration -- add_audit_log
 */
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ruleViolations } from "../src/db/migrationRules.js";
import { diffSchemas, isEmptyDiff, MIGRATIONS_DIR, SCHEMA_PATH, SNAPSHOT_PATH } from "../src/db/schemaEngine.js";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <snake_case_name>");
  process.exit(2);
}
const databaseUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const snapshot = await readFile(SNAPSHOT_PATH, "utf8").catch(() => null);
const sql = await diffSchemas(databaseUrl, snapshot, await readFile(SCHEMA_PATH, "utf8"));
if (isEmptyDiff(sql)) {
  console.log("schema.prisma has not changed since the newest migration: nothing to write");
} else {
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
  // Expand, then contract (src/db/migrationRules.ts): say so now rather than in the test suite.
  for (const line of ruleViolations(`${stamp}_${name}`, sql)) console.warn(`warning: ${line}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), sql);
  await copyFile(SCHEMA_PATH, SNAPSHOT_PATH);
  console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
  // The WASM schema engine has no MySQL connector: that history's twin is written by hand.
  console.log(`now write the same change for MySQL in prisma/mysql/migrations/${path.basename(dir)}/migration.sql (docs/database.md)`);
}
