/**
 * The database step of a start, and `tongxing migrate`.
 *
 * Migrations as their own step (expand, then contract): in production the schema is changed by
 * one `tongxing migrate` run before a rollout, not by every instance at start, so old instances
 * keep running against a schema that only grew (migrationRules.ts states the rule, and a
 * test holds every migration to it), and the service itself can run as a role without schema
 * rights (docs/database.md). With MIGRATE_ON_START=true (the default, for `npm start` and
 * compose) a start does what `tongxing migrate` does.
 */
import type { Logger } from "pino";
import { type StartupWait, waitUntilReady } from "../clients/readiness.js";
import { ensureDatabase, isPostgresNotReady } from "./database.js";
import { ensureMysqlDatabase, isMysqlNotReady, isMysqlUrl } from "./mysql.js";
import { applyMysqlMigrations, pendingMysqlMigrations } from "./mysqlMigrations.js";
import { applyMigrations, pendingMigrations } from "./schemaEngine.js";

/** The database's own steps, PostgreSQL's or MySQL's, by DATABASE_URL's scheme. */
function stepsFor(databaseUrl: string) {
  return isMysqlUrl(databaseUrl)
    ? {
        name: "MySQL",
        ensure: ensureMysqlDatabase,
        apply: applyMysqlMigrations,
        pending: pendingMysqlMigrations,
        notReady: isMysqlNotReady,
      }
    : { name: "PostgreSQL", ensure: ensureDatabase, apply: applyMigrations, pending: pendingMigrations, notReady: isPostgresNotReady };
}

/**
 * Creates the database if it is missing and applies the pending migrations, waiting (within
 * `wait`) for a PostgreSQL that is not ready yet.
 * @param lockTimeoutSeconds - MIGRATION_LOCK_TIMEOUT
 * @returns the migrations applied (empty when up to date)
 * @throws BackendNotReadyError past the start's deadline; a failed migration as it is
 */
export async function migrateDatabase(databaseUrl: string, lockTimeoutSeconds: number, log: Logger, wait: StartupWait): Promise<string[]> {
  const steps = stepsFor(databaseUrl);
  const created = await waitUntilReady(
    steps.name,
    () => steps.ensure(databaseUrl),
    wait,
    (err) => !steps.notReady(err),
  );
  if (created) log.info("created the database");
  const applied = await steps.apply(databaseUrl, lockTimeoutSeconds);
  if (applied.length) log.info({ migrations: applied }, "applied migrations");
  else log.info("no pending migrations");
  return applied;
}

/**
 * MIGRATE_ON_START=false: waits (within `wait`, with a line every few seconds) until the database
 * has every migration this build knows, changing nothing itself.
 * @throws BackendNotReadyError when migrations are still pending at the start's deadline
 */
export async function awaitMigrated(databaseUrl: string, wait: StartupWait): Promise<void> {
  const steps = stepsFor(databaseUrl);
  await waitUntilReady(
    steps.name,
    async () => {
      const pending = await steps.pending(databaseUrl);
      if (pending.length) {
        throw new Error(
          `${pending.length} migration${pending.length === 1 ? "" : "s"} pending (${pending.join(", ")}): run tongxing migrate, or set MIGRATE_ON_START=true`,
        );
      }
    },
    wait,
    // Pending migrations and a database not created yet (3D000, MySQL's 1049: the migrate job
    // creates it) are waited for; a refused password or a missing grant is not cured by waiting.
    (err) => {
      const { code, errno } = err as { code?: unknown; errno?: unknown };
      if (errno === 1049) return false;
      return typeof code === "string" && code !== "3D000" && !steps.notReady(err);
    },
  );
}
