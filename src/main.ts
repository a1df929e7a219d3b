#!/usr/bin/env -S node --no-allocation-site-pretenuring
/**
 * The process. `tongxing` (no argument): parse configuration (exit 1 naming the bad variable),
 * start, and stop gracefully on SIGTERM/SIGINT. `tongxing migrate`: create the database if
 * missing, apply pending migrations, exit 0 (1 on failure); it reads only DATABASE_URL,
 * MIGRATION_LOCK_TIMEOUT, STARTUP_TIMEOUT and LOG_LEVEL.
 *
 * The server runs with V8's allocation-site pretenuring off, given on the command line (the
 * shebang above, `npm start`, the Dockerfile's CMD, deploy/kubernetes; a test checks each, and
 * that the server under load makes no pretenuring decision). Why: pretenuring allocates the
 * objects of a site straight in the old generation once most of them have survived a
 * young-generation GC. A server's per-request objects are short-lived, but a GC that lands on a
 * burst of in-flight requests (start-up, the first load) can tenure their sites; their objects
 * then keep young ones alive until the next full GC, and every young-generation GC copies and
 * promotes megabytes. Under wrk that happened in 10 of 48 process starts (7-8 times the young
 * GC time, 20-35% fewer requests served for the life of the process); with the flag, in none of
 * 26 (docs/performance.md, "Garbage collection"). On the command line, not set at run time:
 * Node documents changing V8 flags after the VM has started as undefined behaviour.
 */
import { BackendNotReadyError, startupWait } from "./clients/readiness.js";
import { type Config, ConfigError, loadConfig, loadMigrateConfig } from "./config/config.js";
import { migrateDatabase } from "./db/migrate.js";
import { createLogger } from "./log.js";
import { batchedStdout } from "./logBatching.js";
import { startServer } from "./server.js";

const command = process.argv[2];
if (command === "migrate") await migrate();
else if (command === undefined) await serve();
else {
  process.stderr.write(`tongxing: unknown command ${JSON.stringify(command)}; usage: tongxing [migrate]\n`);
  process.exit(2);
}

/** A ConfigError's message on stderr and exit 1; anything else is thrown. */
function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`tongxing: ${err.message}\n`);
    process.exit(1);
  }
}

/** A start that failed: a backend still not ready says which and why (no stack); anything else with its error. */
function fatal(log: ReturnType<typeof createLogger>, err: unknown, what: string): never {
  if (err instanceof BackendNotReadyError) log.fatal({ backend: err.backend }, err.message);
  else log.fatal({ err }, what);
  process.exit(1);
}

async function migrate(): Promise<void> {
  const config = configOrExit(() => loadMigrateConfig());
  const log = createLogger(config.logLevel);
  try {
    await migrateDatabase(config.databaseUrl, config.migrationLockTimeout, log, startupWait(log, config.startupTimeout));
  } catch (err) {
    fatal(log, err, "tongxing migrate failed");
  }
  process.exit(0);
}

async function serve(): Promise<void> {
  const config: Config = configOrExit(() => loadConfig());
  const log = createLogger(config.logLevel, config.logBatching ? batchedStdout() : undefined);
  try {
    const running = await startServer(config, log);
    log.info({ url: running.url, devMode: config.devMode }, "tongxing listening");
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      running.stop(config.shutdownTimeout * 1000, config.shutdownDelay * 1000).then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
  } catch (err) {
    fatal(log, err, "tongxing failed to start");
  }
}
