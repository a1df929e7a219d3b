/**
 * Every migration in prisma/migrations keeps "expand, then contract" (src/db/migrationRules.ts):
 * a release only adds; what removes or reshapes comes later, in a named contract migration.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { BEFORE_THE_RULE, ruleViolations } from "../src/db/migrationRules.js";
import { MYSQL_MIGRATIONS_DIR } from "../src/db/mysqlMigrations.js";
import { MIGRATIONS_DIR } from "../src/db/schemaEngine.js";

test("every migration after the rule only adds, or is a named contract migration", async () => {
  const dirs = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  assert.ok(dirs.includes(BEFORE_THE_RULE), "the last migration before the rule is still there");
  const violations: string[] = [];
  for (const name of dirs)
    violations.push(...ruleViolations(name, await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"), "utf8")));
  assert.deepEqual(violations, []);
});

test("the rule refuses what would break the previous release, and lets additions and contract migrations through", () => {
  const next = "20991231000000_next";
  const refused = {
    'ALTER TABLE "users" DROP COLUMN "openid";': /drops a column/,
    'DROP TABLE "audit_events";': /drops a table/,
    'ALTER TABLE "users" RENAME COLUMN "nickname" TO "name";': /renames/,
    'ALTER TABLE "users" ALTER COLUMN "phone" SET DATA TYPE TEXT;': /type/,
    'ALTER TABLE "users" ALTER COLUMN "phone" SET NOT NULL;': /NOT NULL/,
    'ALTER TABLE "users" ADD COLUMN "tier" INTEGER NOT NULL;': /without a default/,
  };
  for (const [sql, why] of Object.entries(refused)) {
    const found = ruleViolations(next, sql);
    assert.equal(found.length, 1, sql);
    assert.match(found[0] ?? "", why);
  }
  for (const sql of [
    'CREATE TABLE "x" ("id" SERIAL NOT NULL, CONSTRAINT "x_pkey" PRIMARY KEY ("id"));',
    'ALTER TABLE "users" ADD COLUMN "tier" INTEGER;',
    'ALTER TABLE "users" ADD COLUMN "tier" INTEGER NOT NULL DEFAULT 0;',
    'CREATE INDEX "users_tier_idx" ON "users"("tier");',
    '-- the old column is dropped in a later contract migration\nALTER TABLE "users" ADD COLUMN "name" TEXT;',
  ]) {
    assert.deepEqual(ruleViolations(next, sql), [], sql);
  }
  assert.deepEqual(
    ruleViolations(
      "20991231000000_drop_openid_contract",
      '-- contract: users.openid, unused since 0.2.0\nALTER TABLE "users" DROP COLUMN "openid";',
    ),
    [],
  );
  assert.equal(ruleViolations("20991231000000_drop_openid_contract", 'ALTER TABLE "users" DROP COLUMN "openid";').length, 1);
  assert.deepEqual(ruleViolations(BEFORE_THE_RULE, 'ALTER TABLE "users" DROP COLUMN "openid";'), [], "written before the rule");
});

test("MySQL: its history keeps the rule, and MySQL's own ways to reshape a column are refused", async () => {
  const dirs = (await readdir(MYSQL_MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const violations: string[] = [];
  for (const name of dirs)
    violations.push(...ruleViolations(name, await readFile(path.join(MYSQL_MIGRATIONS_DIR, name, "migration.sql"), "utf8")));
  assert.deepEqual(violations, []);
  const next = "20991231000000_next";
  const refused = {
    "ALTER TABLE `users` DROP COLUMN `openid`;": /drops a column/,
    "ALTER TABLE `users` MODIFY `phone` VARCHAR(32) NOT NULL;": /changes a column/,
    "ALTER TABLE `users` MODIFY COLUMN `phone` TEXT NULL;": /changes a column/,
    "ALTER TABLE `users` CHANGE `nickname` `name` VARCHAR(256) NULL;": /renames or changes a column/,
    "ALTER TABLE `users` ADD COLUMN `tier` INTEGER NOT NULL;": /without a default/,
  };
  for (const [sql, why] of Object.entries(refused)) {
    const found = ruleViolations(next, sql);
    assert.equal(found.length, 1, sql);
    assert.match(found[0] ?? "", why);
  }
  assert.deepEqual(ruleViolations(next, "ALTER TABLE `users` ADD COLUMN `tier` INTEGER NULL;"), []);
});
