/**
 * Migrations on MySQL/MariaDB: prisma/mysql/migrations applied in name order and recorded in
 * `_prisma_migrations`, the table and rows `prisma migrate deploy` keeps (the checksum is the
 * SHA-256 of migration.sql), so the Prisma CLI can take over where its native engine runs.
 *
 * Why not the schema engine as on PostgreSQL (schemaEngine.ts): its WebAssembly build carries
 * only the PostgreSQL connector. With a MariaDB adapter it panics ("Unsupported adapter provider:
 * Mysql"); asked to diff a mysql model it answers "`mysql` is not a supported connector".
 */
import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import mariadb from "mariadb";
import { mysqlOptions } from "./mysql.js";
import { PROJECT_ROOT, readMigrations } from "./schemaEngine.js";

export const MYSQL_MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma/mysql/migrations");

/**
 * Our lock's name (GET_LOCK names are per server, so it carries the database's name). MySQL
 * refuses names over 64 characters (https://dev.mysql.com/doc/refman/8.0/en/locking-functions.html):
 * a longer one is made of the database name's SHA-256 (17 + 43 characters), while a shorter one
 * stays as it was, so that instances of an older release still share it.
 */
export const lockName = (database: string) => {
  const name = `tongxing:migrate:${database}`;
  return name.length <= 64 ? name : `tongxing:migrate:${createHash("sha256").update(database).digest("base64url")}`;
};

/** As `prisma migrate deploy` creates it on MySQL. */
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
  id VARCHAR(36) PRIMARY KEY NOT NULL,
  checksum VARCHAR(64) NOT NULL,
  finished_at DATETIME(3),
  migration_name VARCHAR(255) NOT NULL,
  logs TEXT,
  rolled_back_at DATETIME(3),
  started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;

/**
 * Applies the pending migrations. Instances starting together take turns under `GET_LOCK`, the
 * session-level named lock MySQL has in place of PostgreSQL's advisory locks; it goes when the
 * connection ends, so a crashed instance never leaves it behind.
 * @param lockTimeoutSeconds - how long to wait for another instance's migrations (MIGRATION_LOCK_TIMEOUT)
 * @param through - apply only up to this migration (its directory name)
 * @returns the names applied by this call (empty when up to date)
 * @throws when a migration fails (it stays recorded as unfinished, with the error in `logs`, and
 *   every later start refuses until an operator resolves it), or the lock is not had in time
 */
export async function applyMysqlMigrations(databaseUrl: string, lockTimeoutSeconds = 120, through?: string): Promise<string[]> {
  const { migrationDirectories } = await readMigrations(MYSQL_MIGRATIONS_DIR);
  const wanted = migrationDirectories.filter((d) => through === undefined || d.path <= through);
  // multipleStatements: a migration.sql is a script, sent as one.
  const conn = await mariadb.createConnection({ ...mysqlOptions(databaseUrl), multipleStatements: true });
  try {
    const database = String((await conn.query("SELECT DATABASE() AS db"))[0].db);
    const [{ got }] = await conn.query("SELECT GET_LOCK(?, ?) AS got", [lockName(database), lockTimeoutSeconds]);
    if (Number(got) !== 1) throw new Error(`waited MIGRATION_LOCK_TIMEOUT (${lockTimeoutSeconds} s) for another instance's migrations`);
    await conn.query(MIGRATIONS_TABLE);
    const rows: { migration_name: string; finished_at: Date | null }[] = await conn.query(
      "SELECT migration_name, finished_at FROM _prisma_migrations WHERE rolled_back_at IS NULL",
    );
    const failed = rows.find((r) => r.finished_at === null);
    if (failed)
      throw new Error(`migration ${failed.migration_name} failed earlier: resolve it by hand (see its logs in _prisma_migrations)`);
    const done = new Set(rows.map((r) => r.migration_name));
    const applied: string[] = [];
    for (const dir of wanted.filter((d) => !done.has(d.path))) {
      const sql = dir.migrationFile.content.tag === "ok" ? dir.migrationFile.content.value : "";
      const id = randomUUID();
      const checksum = createHash("sha256").update(sql).digest("hex");
      await conn.query("INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES (?, ?, ?)", [id, checksum, dir.path]);
      try {
        // MySQL commits DDL statement by statement: a failed migration may be half applied,
        // which is why it is recorded as unfinished rather than retried.
        await conn.query(sql);
      } catch (err) {
        await conn.query("UPDATE _prisma_migrations SET logs = ? WHERE id = ?", [(err as Error).message, id]);
        throw err;
      }
      await conn.query("UPDATE _prisma_migrations SET finished_at = NOW(3), applied_steps_count = 1 WHERE id = ?", [id]);
      applied.push(dir.path);
    }
    return applied;
  } finally {
    await conn.end();
  }
}

/**
 * The migrations of prisma/mysql/migrations not yet recorded as finished (MIGRATE_ON_START=false).
 * @throws when the database cannot be reached
 */
export async function pendingMysqlMigrations(databaseUrl: string): Promise<string[]> {
  const { migrationDirectories } = await readMigrations(MYSQL_MIGRATIONS_DIR);
  const conn = await mariadb.createConnection(mysqlOptions(databaseUrl));
  try {
    const rows: { migration_name: string }[] = await conn
      .query("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")
      .catch((err: { errno?: number }) => {
        if (err.errno === 1146) return []; // ER_NO_SUCH_TABLE: nothing migrated yet
        throw err;
      });
    const applied = new Set(rows.map((r) => r.migration_name));
    return migrationDirectories.map((d) => d.path).filter((name) => !applied.has(name));
  } finally {
    await conn.end();
  }
}
