import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { readMigrations } from "./schemaEngine.js";

test("the project's migrations are found, in name order", async () => {
  const { migrationDirectories } = await readMigrations();
  const names = migrationDirectories.map((d) => d.path);
  assert.ok(names.length >= 2, `${names}`);
  assert.deepEqual(names, [...names].sort());
});

test("a missing or empty migrations folder is an error, not an empty schema", async () => {
  const empty = await mkdtemp(path.join(tmpdir(), "tongxing-migrations-"));
  try {
    await assert.rejects(readMigrations(empty), /no migrations at .*tongxing-migrations-/);
    await assert.rejects(readMigrations(path.join(empty, "missing")), /no migrations at .*\(ENOENT\)/);
  } finally {
    await rm(empty, { recursive: true });
  }
});
