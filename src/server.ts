/**
 * Starting and stopping a whole tongxing: configuration → (dev mode: the built-in fake WeChat)
 * → database created and migrated → Redis and PostgreSQL clients → app listening. main.ts
 * runs it for `npm start`; tests run the very same function against test databases.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { SessionCache } from "../verifier/src/sessionCache.js";
import { createApp, createMetricsApp } from "./app.js";
import { AuditLog } from "./audit.js";
import { createPrisma } from "./clients/prisma.js";
import { startupWait } from "./clients/readiness.js";
import { connectRedis } from "./clients/redis.js";
import { LoginReplay } from "./commands/loginReplay.js";
import type { Config } from "./config/config.js";
import { awaitMigrated, migrateDatabase } from "./db/migrate.js";
import type { AppDeps } from "./deps.js";
import { Events } from "./events/events.js";
import { publishWebhookRoutes } from "./events/published.js";
import { WebhookWorker } from "./events/worker.js";
import { Metrics } from "./metrics/metrics.js";
import { Overview } from "./metrics/overview.js";
import { Apps, adoptPrimaryApp } from "./platforms/apps.js";
import { startDevFakes } from "./platforms/devMode.js";
import { PlatformExchange } from "./platforms/exchange.js";
import { verifyFastPath } from "./routes/auth/verifyFastPath.js";
import { metricsOnMainPort } from "./routes/health/metrics.js";
import { keepSettingsPublished, publishSettings } from "./sessions/publishedSettings.js";
import { SessionKeyVault } from "./sessions/sessionKeyVault.js";
import { Sessions } from "./sessions/sessions.js";
import { SessionStore } from "./sessions/store.js";
import { WechatClient } from "./wechat/client.js";

/** A running instance. */
export interface Running {
  url: string;
  /** The private metrics listener's URL (METRICS_PORT), when there is one. */
  metricsUrl?: string;
  server: Server;
  deps: AppDeps;
  /**
   * Graceful stop: answer /readyz with 503 for `delayMs` while still serving (SHUTDOWN_DELAY),
   * then stop accepting, let in-flight requests finish (at most `timeoutMs`), close Redis and
   * PostgreSQL. Milliseconds.
   */
  stop(timeoutMs?: number, delayMs?: number): Promise<void>;
}

/**
 * Requests Node's HTTP parser rejects (malformed request lines or headers, oversized headers,
 * a body on TRACE) never reach Koa; answer them with the same JSON error shape instead of
 * Node's bare "400 Bad Request".
 */
function answerMalformedRequest(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || err.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  // Responses on a connection go in request order: when the bad bytes follow a request whose
  // response is still being made (a body sent without Content-Length reads as the next request),
  // that response goes first, then this one. Answering at once would tell the client its
  // request failed when it ran. Node's own handler destroys the socket in that case instead.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished) {
    if (err.code !== "ERR_HTTP_REQUEST_TIMEOUT") {
      inFlight.once("finish", () => answerMalformedRequest(err, socket));
      return;
    }
    // A request timeout concerns the in-flight request itself (its body is still trickling in):
    // answer 408 in its place, unless its response has begun, then only close.
    if (inFlight.headersSent) {
      socket.destroy();
      return;
    }
  }
  const [status, code, message] = CLIENT_ERRORS[err.code ?? ""] ?? MALFORMED;
  const body = JSON.stringify({ error: { code, message } });
  // Destroyed once the answer is flushed, not merely half-closed: a client that never closes its
  // side would otherwise keep the socket (FIN-WAIT) on our side.
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** Node's client errors as answers: status line, code, message. */
const CLIENT_ERRORS: Record<string, [string, string, string]> = {
  HPE_HEADER_OVERFLOW: ["431 Request Header Fields Too Large", "HEADERS_TOO_LARGE", "The request headers are too large."],
  ERR_HTTP_REQUEST_TIMEOUT: ["408 Request Timeout", "REQUEST_TIMEOUT", "The request did not arrive within REQUEST_TIMEOUT."],
};
const MALFORMED: [string, string, string] = ["400 Bad Request", "INVALID_REQUEST", "The HTTP request is malformed."];

/**
 * Connects Redis and PostgreSQL and builds the session service on them: what the server and
 * the admin CLI share.
 * @param wait - the start's deadline; by default STARTUP_TIMEOUT from now
 * @throws BackendNotReadyError when Redis is not ready by the deadline
 */
export async function connectBackends(config: Config, log: Logger, wait = startupWait(log, config.startupTimeout)): Promise<AppDeps> {
  const redisOptions = { tlsCa: config.redisTlsCa, evictionCheck: config.redisEvictionCheck };
  const redis = await connectRedis(config.redisUrl, log, config.redisClusterNodes, wait, redisOptions);
  const prisma = createPrisma(config.databaseUrl, log);
  const clock = Date.now;
  const apps = new Apps(config.apps, config.devMode);
  const store = new SessionStore(redis, config.redisKeyPrefix, apps.primary.appid);
  const metrics = new Metrics();
  const cache = config.session.cache ? sessionCache(config, log, metrics) : undefined;
  const sessions = new Sessions(store, new SessionKeyVault(config.session.sessionKeyEncryptionKeys), config.session, clock, cache);
  const wechat = new WechatClient(config.wechat, redis, config.redisKeyPrefix, {
    call: metrics.observeWechat,
    tokenRefresh: () => metrics.accessTokenRefreshes.inc(),
  });
  // A duplicate waits as long as the first attempt's WeChat exchange can take: three attempts
  // and their backoff, plus the database and Redis writes after it.
  const waitMs = 3 * Math.max(config.wechat.timeoutMs, config.platforms.timeoutMs) + 2000;
  const platforms = new PlatformExchange(wechat, config.platforms, (platform, api, outcome) =>
    metrics.platformCalls.labels(platform, api, outcome).inc(),
  );
  const loginReplay = new LoginReplay(redis, config.redisKeyPrefix, config.loginReplayWindow, waitMs, config.devMode);
  const overview = new Overview(redis, config.redisKeyPrefix, log, clock);
  metrics.onEvent = (series, outcome) => overview.count(series, outcome);
  return {
    config,
    prisma,
    redis,
    sessions,
    wechat,
    platforms,
    apps,
    metrics,
    audit: new AuditLog(prisma, log),
    events: new Events(config.webhooks.endpoints, prisma, log, config.webhooks.giveUpAfter, clock),
    overview,
    log,
    clock,
    loginReplay,
  };
}

/**
 * The process-local session cache (SESSION_CACHE), not started yet: until startSessionCache has
 * switched tracking on, it is not usable and every check reads Redis.
 */
function sessionCache(config: Config, log: Logger, metrics: Metrics): SessionCache | undefined {
  if (!config.session.cache) return undefined;
  const results = {
    hit: metrics.sessionCache.labels("hit"),
    miss: metrics.sessionCache.labels("miss"),
    bypass: metrics.sessionCache.labels("bypass"),
  };
  return new SessionCache({ ...config.session.cache, prefix: config.redisKeyPrefix }, log, {
    hit: () => results.hit.inc(),
    miss: () => results.miss.inc(),
    bypass: () => results.bypass.inc(),
  });
}

/**
 * Starts the session service's cache on the service's Redis connection; on a Redis Cluster it
 * tracks every node (clusterTracking.ts).
 */
async function startSessionCache(deps: AppDeps): Promise<SessionCache | undefined> {
  const { cache } = deps.sessions;
  if (cache) await (deps.redis instanceof Redis ? cache.start(deps.redis) : cache.startCluster(deps.redis));
  return cache;
}

/**
 * Starts the webhook delivery worker when WEBHOOKS names endpoints, on a pool of two connections
 * of its own: deliveries never wait for a login's connection, nor a login for theirs.
 * @returns stop(): the worker stopped and its pool closed
 */
function startWebhookWorker(deps: AppDeps): { stop(): Promise<void> } | undefined {
  const { config, log, metrics, clock } = deps;
  if (!config.webhooks.endpoints.length) return undefined;
  const prisma = createPrisma(config.databaseUrl, log, 2000, 2);
  const worker = new WebhookWorker(prisma, config.webhooks, metrics, log, clock);
  deps.events.onDue = () => worker.wake();
  worker.start();
  return {
    stop: async () => {
      await worker.stop();
      await prisma.$disconnect();
    },
  };
}

/**
 * Starts tongxing with `config`, waiting at most STARTUP_TIMEOUT in all for PostgreSQL and
 * Redis to be ready.
 * @throws BackendNotReadyError when one is not ready in time; whatever creating or migrating
 *   the database throws otherwise (a rejected password fails at once)
 */
export async function startServer(config: Config, log: Logger): Promise<Running> {
  const wait = startupWait(log, config.startupTimeout);
  let fake: { stop(): Promise<void> } | undefined;
  if (config.devMode) {
    ({ config, ...fake } = await startDevFakes(config));
    log.warn(
      { apps: config.apps.map((a) => `${a.platform}:${a.appid}`) },
      "DEV MODE: no APPS or WECHAT_APPID/WECHAT_SECRET, logging in against the built-in fakes of every platform: any code logs in, and the same code is always the same user. Never use this in production.",
    );
  }
  if (config.trustedProxies === "nearest-hop") {
    log.warn(
      "TRUST_PROXY=true is deprecated and will be removed: it believes the X-Forwarded-For of whoever connects, so a direct caller picks its own IP. Set TRUSTED_PROXIES to your proxies' addresses instead.",
    );
  }
  if (config.session.ephemeralKey) {
    log.warn("DEV MODE: no SESSION_KEY_ENCRYPTION_KEY, using a random key for this process: stored session_keys die with it.");
  }
  if (config.migrateOnStart) await migrateDatabase(config.databaseUrl, config.migrationLockTimeout, log, wait);
  else await awaitMigrated(config.databaseUrl, wait);

  const deps = await connectBackends(config, log, wait);
  const { redis, prisma } = deps;
  let routesPublished: { stop(): Promise<void> };
  try {
    const claimed = await adoptPrimaryApp(prisma, redis, config.redisKeyPrefix, deps.apps);
    if (claimed) log.info({ identities: claimed, appid: deps.apps.primary.appid }, "gave the one-app identities to the primary app");
    await publishSettings(redis, config.redisKeyPrefix, { idleTtl: config.session.idleTtl, maxAge: config.session.maxAge });
    routesPublished = await publishWebhookRoutes(redis, config.redisKeyPrefix, config.webhooks, log);
  } catch (err) {
    await Promise.allSettled([redis.quit(), prisma.$disconnect(), fake?.stop()]);
    throw err;
  }
  const cache = await startSessionCache(deps);
  const published = keepSettingsPublished(
    redis,
    config.redisKeyPrefix,
    { primaryAppid: deps.apps.primary.appid, idleTtl: config.session.idleTtl, maxAge: config.session.maxAge },
    log,
  );

  let shuttingDown = false;
  const app = createApp(deps, { isShuttingDown: () => shuttingDown });
  const requestTimeoutMs = config.requestTimeout * 1000;
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.max(1000, requestTimeoutMs / 2),
      // Node checks those timeouts every connectionsCheckingInterval (30 s by default), which
      // would let a 1-second REQUEST_TIMEOUT hold a socket for 30.
      connectionsCheckingInterval: Math.min(1000, requestTimeoutMs / 4),
    },
    config.verifyFastPath ? verifyFastPath(deps, app.callback(), () => shuttingDown) : app.callback(),
  );
  server.on("clientError", answerMalformedRequest);
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const urlOf = (s: Server) =>
    `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${(s.address() as AddressInfo).port}`;
  const url = urlOf(server);

  let metricsServer: Server | undefined;
  if (config.metricsPort !== undefined) {
    metricsServer = createMetricsApp(deps).listen(config.metricsPort, config.host);
    await new Promise<void>((resolve, reject) => metricsServer?.once("listening", resolve).once("error", reject));
  } else if (!metricsOnMainPort(config)) {
    log.warn("/metrics is off in production: set METRICS_TOKEN (bearer auth on this port) or METRICS_PORT (a private listener)");
  }

  // Listening first: events left pending by an earlier run go out once this instance serves.
  const webhooks = startWebhookWorker(deps);

  async function stop(timeoutMs = 10_000, delayMs = 0): Promise<void> {
    shuttingDown = true;
    // /readyz answers 503 from now on, while everything is still served: a load balancer polling
    // readiness stops sending before the listener closes, so nothing it sent is refused.
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    await closed;
    clearTimeout(timer);
    await deps.audit.flush();
    // Attempts in flight are written before their pool closes; events a Redis-only change could
    // not record yet get a last try.
    await webhooks?.stop();
    await deps.events.flush(true);
    await routesPublished.stop();
    await deps.overview.stop().catch(() => {});
    cache?.stop();
    await published.stop();
    // quit() fails while Redis is unreachable and ioredis would go on reconnecting, keeping the
    // process alive: disconnect() then stops it for good.
    await Promise.allSettled([redis.quit().catch(() => redis.disconnect()), prisma.$disconnect(), fake?.stop()]);
  }
  return { url, ...(metricsServer && { metricsUrl: urlOf(metricsServer) }), server, deps, stop };
}

export type { Config };
