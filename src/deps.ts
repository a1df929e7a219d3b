import type { Logger } from "pino";
import type { AuditLog } from "./audit.js";
import type { PrismaClient } from "./clients/prisma.js";
import type { RedisClient } from "./clients/redis.js";
import type { LoginReplay } from "./commands/loginReplay.js";
import type { Config } from "./config/config.js";
import type { Events } from "./events/events.js";
import type { Metrics } from "./metrics/metrics.js";
import type { Overview } from "./metrics/overview.js";
import type { Apps } from "./platforms/apps.js";
import type { PlatformExchange } from "./platforms/exchange.js";
import type { Sessions } from "./sessions/sessions.js";
import type { WechatClient } from "./wechat/client.js";

/** Everything the app needs from outside, created by main.ts (or a test) and passed in. */
export interface AppDeps {
  config: Config;
  prisma: PrismaClient;
  redis: RedisClient;
  sessions: Sessions;
  wechat: WechatClient;
  /** Login code exchanges on every platform (WeChat's through `wechat`). */
  platforms: PlatformExchange;
  /** The configured mini-programs. */
  apps: Apps;
  metrics: Metrics;
  audit: AuditLog;
  /** The webhook outbox: commands record the events their changes report (src/events/). */
  events: Events;
  /** The console's last-hour counts (overview.ts). */
  overview: Overview;
  /** Per-code login idempotency (LOGIN_REPLAY_WINDOW). */
  loginReplay: LoginReplay;
  log: Logger;
  /** Epoch milliseconds. */
  clock: () => number;
}
