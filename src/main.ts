#!/usr/bin/env node
/**
 * The process: parse configuration (exit 1 naming the bad variable), start, and stop gracefully
 * on SIGTERM/SIGINT.
 */
import { setFlagsFromString } from "node:v8";
import { BackendNotReadyError } from "./clients/readiness.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { startServer } from "./server.js";

// V8's allocation-site pretenuring allocates the objects of a site straight in the old
// generation once most of them have survived a young-generation GC. A server's per-request
// objects are short-lived, but a GC that lands on a burst of in-flight requests (start-up, the
// first load) can tenure their sites; their objects then keep young ones alive until the next
// full GC, and every young-generation GC copies and promotes megabytes. Under wrk that happened
// in 10 of 48 process starts: 0.7-1.0 s of young-generation GC in 6 s of load instead of
// 0.10-0.13 s, and 20-35% fewer requests served, for the life of the process. With pretenuring
// off: none in 26 (docs/performance.md, "Garbage collection"). Set before the first request;
// what was tenured while the modules loaded stays so (long-lived by nature).
setFlagsFromString("--no-allocation-site-pretenuring");

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`tongxing: ${err.message}\n`);
  process.exit(1);
}
const log = createLogger(config.logLevel);

try {
  const running = await startServer(config, log);
  log.info({ url: running.url, devMode: config.wechat.devMode }, "tongxing listening");
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
  // A backend still not ready: its own line says which and why; no stack, nothing to debug.
  if (err instanceof BackendNotReadyError) log.fatal({ backend: err.backend }, err.message);
  else log.fatal({ err }, "tongxing failed to start");
  process.exit(1);
}
