/**
 * Prisma's schema engine, compiled to WebAssembly, driving migrations without the Prisma CLI.
 *
 * Why this exists: the Prisma CLI downloads a native schema engine at install and on every
 * `prisma migrate` call, which fails on machines without access to Prisma's CDN (see
 * docs/database.md). `@prisma/schema-engine-wasm` is the same engine built to
 * WASM and published on npm; it writes the same `_prisma_migrations` table as
 * `prisma migrate deploy`, so the two are interchangeable. These packages say they are for
 * Prisma's internal use: every call to them stays in this module, so that where the native
 * engine is available this can be swapped for `prisma migrate deploy`.
 */
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationDirectory, SchemaEngine } from "@prisma/schema-engine-wasm";
import pg from "pg";

/** The project root: this file sits at src/db (or dist/db after a build). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SCHEMA_PATH = path.join(PROJECT_ROOT, "prisma/schema.prisma");
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma/migrations");

const NO_FILTERS = { externalTables: [], externalEnums: [] };

type Glue = { __wbg_set_wasm(exports: unknown): void; SchemaEngine: typeof SchemaEngine };

let glue: Promise<Glue> | undefined;

// Node has WebAssembly; @types/node does not declare it (it comes with the DOM lib).
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

/**
 * Loads the WASM engine without Node's `--experimental-wasm-modules`: the package's own entry
 * imports the .wasm as an ES module, so we instantiate it by hand and hand it to the JS glue.
 */
function loadGlue(): Promise<Glue> {
  glue ??= (async () => {
    const mod = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as Glue;
    // The .wasm is not in the package's exports map: find it beside the glue file.
    const gluePath = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmPath = path.join(path.dirname(gluePath), "schema_engine_bg.wasm");
    const bytes = await readFile(wasmPath);
    const instance = new Wasm.Instance(new Wasm.Module(bytes), { "./schema_engine_bg.js": mod });
    mod.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return mod;
  })();
  return glue;
}

/**
 * Runs `fn` with a schema engine connected to `databaseUrl`, and frees it afterwards.
 * @param databaseUrl - a postgresql:// URL of an existing database
 */
async function withEngine<T>(databaseUrl: string, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadGlue();
  const schema = await readFile(SCHEMA_PATH, "utf8");
  // Our own pool, ended afterwards: the engine takes a session-level advisory lock on one of its
  // connections, and a pool left to its idle timeout kept that lock for 10 s after migrating.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  const engine = await SchemaEngine.new({ datamodels: [[SCHEMA_PATH, schema]] }, () => {}, adapter);
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await pool.end();
  }
}

/**
 * The migrations of `dir` (default prisma/migrations beside src/ or dist/), in name order.
 * @throws when `dir` is missing or holds no migration: a build copied without its prisma/ folder
 * must not start on an empty schema (it did: every query then failed with "table does not exist")
 */
export async function readMigrations(dir = MIGRATIONS_DIR) {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`no migrations at ${dir} (${err.code}): tongxing needs the prisma/ folder beside its dist/ or src/`);
  });
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (!dirs.length) throw new Error(`no migrations at ${dir}: tongxing needs the prisma/ folder beside its dist/ or src/`);
  const migrationDirectories: MigrationDirectory[] = await Promise.all(
    dirs.map(async (name) => ({
      path: name,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok" as const, value: await readFile(path.join(dir, name, "migration.sql"), "utf8") },
      },
    })),
  );
  const lockPath = path.join(dir, "migration_lock.toml");
  const lockContent = await readFile(lockPath, "utf8").catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/**
 * Applies the pending migrations of prisma/migrations to the database, recording them in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does. Safe for several instances
 * starting at once: they take turns under a PostgreSQL advisory lock.
 * @param lockTimeoutSeconds - how long to wait for another instance's migrations (MIGRATION_LOCK_TIMEOUT)
 * @param through - apply only up to this migration (its directory name): upgrade tests build
 *   yesterday's database with it
 * @returns the names of the migrations applied by this call (empty when up to date)
 * @throws when a migration fails, the lock is not had in time, or the database cannot be reached
 */
export async function applyMigrations(databaseUrl: string, lockTimeoutSeconds = 120, through?: string): Promise<string[]> {
  const migrationsList = await readMigrations();
  if (through !== undefined) {
    migrationsList.migrationDirectories = migrationsList.migrationDirectories.filter((d) => d.path <= through);
  }
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    // Instances starting together take turns here, waiting as long as a real migration may take
    // (the engine's own lock gives up after 10 s). lock_timeout bounds the wait; the lock is
    // released when this connection ends, right after migrating.
    await lock.query("SELECT set_config('lock_timeout', $1, false)", [`${lockTimeoutSeconds * 1000}ms`]);
    await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]).catch((err: { code?: string }) => {
      if (err.code !== "55P03") throw err;
      throw new Error(`waited MIGRATION_LOCK_TIMEOUT (${lockTimeoutSeconds} s) for another instance's migrations`);
    });
    // The common start: another instance (or an earlier start) has applied everything.
    const applied = await appliedMigrationNames(lock);
    if (migrationsList.migrationDirectories.every((d) => applied.has(d.path))) return [];
    return await withEngine(databaseUrl, async (engine) => {
      const out = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
      return out.appliedMigrationNames;
    });
  } finally {
    await lock.end();
  }
}

/**
 * The migrations of prisma/migrations not yet recorded as finished in the database: what a
 * service started with MIGRATE_ON_START=false waits for `tongxing migrate` to apply. Reads
 * `_prisma_migrations` only, so the service's role needs no schema rights.
 * @returns directory names, oldest first; empty when up to date
 * @throws when the database cannot be reached
 */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const { migrationDirectories } = await readMigrations();
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const applied = await appliedMigrationNames(client);
    return migrationDirectories.map((d) => d.path).filter((name) => !applied.has(name));
  } finally {
    await client.end();
  }
}

/** Our advisory lock key ("txmg"): not Prisma's own (72707369), which the engine takes inside it. */
const MIGRATION_LOCK_KEY = 0x74786d67;

/** Migrations recorded as finished (and not rolled back) in `_prisma_migrations`; empty before the first. */
async function appliedMigrationNames(client: pg.Client): Promise<Set<string>> {
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    return new Set(rows.map((r) => r.migration_name));
  } catch (err) {
    if ((err as { code?: string }).code === "42P01") return new Set(); // no table yet
    throw err;
  }
}

/** A copy of schema.prisma as of the newest migration; the next migration is its diff. */
export const SNAPSHOT_PATH = path.join(MIGRATIONS_DIR, "schema.snapshot.prisma");

/**
 * The SQL that takes a database shaped by `fromSchema` (or an empty one, when null) to the shape
 * of `toSchema`. Datamodel to datamodel: the engine does not look at any database, because the
 * WASM build cannot introspect a shadow database (it fails on PostgreSQL's `"char"` columns).
 * @param databaseUrl - any reachable database; only hosts the engine's connection
 * @returns the SQL script, empty (or a "This is an empty migration" comment) when they agree
 */
export async function diffSchemas(databaseUrl: string, fromSchema: string | null, toSchema: string): Promise<string> {
  const source =
    fromSchema === null
      ? { tag: "empty" as const }
      : { tag: "schemaDatamodel" as const, files: [{ path: "from.prisma", content: fromSchema }] };
  return withEngine(databaseUrl, async (engine) => {
    const result = await engine.diff({
      from: source,
      to: { tag: "schemaDatamodel", files: [{ path: "to.prisma", content: toSchema }] },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    return result.stdout ?? "";
  });
}

/** True when a diff script has no statement in it. */
export function isEmptyDiff(sql: string): boolean {
  return sql.split("\n").every((line) => line.trim() === "" || line.trim().startsWith("--"));
}
