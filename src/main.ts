#!/usr/bin/env node
/**
 * The process: parse configuration (exit 1 naming the bad variable), start, and stop gracefully
 * on SIGTERM/SIGINT.
 */
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { startServer } from "./server.js";

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
  log.fatal({ err }, "tongxing failed to start");
  process.exit(1);
}
