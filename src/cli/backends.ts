/**
 * The admin CLI's connections: PostgreSQL at once (lazily, on the first query), Redis only for a
 * command that touches sessions. Built from DATABASE_URL, REDIS_URL (or REDIS_CLUSTER_NODES) and
 * REDIS_KEY_PREFIX alone (config/config.ts, loadCliConfig): the session settings a command needs (the
 * primary appid, the timeouts a ban marker lives by) are the ones the running service publishes
 * in Redis (sessions/publishedSettings.ts), so the CLI cannot act on a copy that drifted.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { readSettings } from "../../verifier/src/publishedSettings.js";
import { AuditLog } from "../audit.js";
import { createPrisma, type PrismaClient } from "../clients/prisma.js";
import { startupWait } from "../clients/readiness.js";
import type { RedisClient } from "../clients/redis.js";
import { connectRedis } from "../clients/redis.js";
import type { AdminDeps } from "../commands/sessionAdmin.js";
import type { CliConfig } from "../config/config.js";
import { serviceUnavailable } from "../errors.js";
import { Events } from "../events/events.js";
import { readWebhookRoutes } from "../events/published.js";
import { SessionKeyVault } from "../sessions/sessionKeyVault.js";
import { Sessions } from "../sessions/sessions.js";
import { SessionStore } from "../sessions/store.js";

/** What a CLI command is given: the database, and the whole admin deps on demand. */
export interface CliBackends {
  prisma: PrismaClient;
  audit: AuditLog;
  /**
   * Connects Redis (once) and builds the session service on the published settings.
   * @throws AppError 503 SERVICE_UNAVAILABLE when Redis cannot be reached or holds no published
   *   settings under REDIS_KEY_PREFIX (no instance ever started with that prefix)
   */
  admin(): Promise<AdminDeps>;
  /** Writes the queued audit events and closes both connections. */
  close(): Promise<void>;
}

export function cliBackends(config: CliConfig, log: Logger): CliBackends {
  const prisma = createPrisma(config.databaseUrl, log);
  const audit = new AuditLog(prisma, log);
  let redis: RedisClient | undefined;
  let deps: Promise<AdminDeps> | undefined;
  const connect = async (): Promise<AdminDeps> => {
    redis = await connectRedis(config.redisUrl, log, config.redisClusterNodes, startupWait(log, config.startupTimeout));
    const settings = await readSettings(redis, config.redisKeyPrefix);
    if (!settings) {
      throw serviceUnavailable(
        new Error(`no session settings in Redis under REDIS_KEY_PREFIX=${config.redisKeyPrefix}: start tongxing with this prefix once`),
      );
    }
    const store = new SessionStore(redis, config.redisKeyPrefix, settings.primaryAppid);
    // No CLI command creates a session or reads a session_key: a throwaway key stands in for
    // SESSION_KEY_ENCRYPTION_KEY, which an operator's shell then never needs to hold, and
    // maxPerUser (read only when a session is created) is not consulted.
    const policy = { idleTtl: settings.idleTtl, maxAge: settings.maxAge, maxPerUser: 0 };
    const sessions = new Sessions(store, new SessionKeyVault(randomBytes(32)), policy);
    // The endpoints the service published (events/published.ts): the CLI's bans, revocations and
    // deletions are reported like the admin API's, without WEBHOOKS' secrets in the operator's shell.
    const routes = await readWebhookRoutes(redis, config.redisKeyPrefix);
    if (!routes) {
      throw serviceUnavailable(
        new Error(`no webhook endpoints in Redis under REDIS_KEY_PREFIX=${config.redisKeyPrefix}: start this version of tongxing once`),
      );
    }
    const events = new Events(routes.endpoints, prisma, log, routes.giveUpAfter);
    return { prisma, sessions, audit, events, log };
  };
  return {
    prisma,
    audit,
    admin: () => {
      deps ??= connect();
      return deps;
    },
    async close() {
      await audit.flush();
      await (await deps?.catch(() => undefined))?.events.flush(true);
      await Promise.allSettled([redis?.quit().catch(() => redis?.disconnect()), prisma.$disconnect()]);
    },
  };
}
