/**
 * createApp(deps): the Koa application. Middleware order: request log (and metrics) → response
 * batching (RESPONSE_BATCHING) → error handler → security headers → CORS → body parser → routes. Dependencies come in from outside
 * (main.ts, or a test with real clients).
 */
import cors from "@koa/cors";
import type Router from "@koa/router";
import Koa from "koa";
import type { AppDeps } from "./deps.js";
import { authenticate } from "./middlewares/auth.js";
import { batchResponses } from "./middlewares/batchResponses.js";
import { parseJsonBody } from "./middlewares/bodyParser.js";
import { clientIp } from "./middlewares/clientIp.js";
import { errorHandler } from "./middlewares/errorHandler.js";
import { requestLog } from "./middlewares/requestLog.js";
import { adminGate } from "./middlewares/requireAdmin.js";
import { securityHeaders } from "./middlewares/securityHeaders.js";
import { adminRoutes } from "./routes/admin/admin.js";
import { consoleRoutes } from "./routes/admin/console.js";
import { webhookAdminRoutes } from "./routes/admin/webhooks.js";
import { authRoutes } from "./routes/auth/auth.js";
import { ownSessionRoutes } from "./routes/auth/sessions.js";
import { stepUpRoutes } from "./routes/auth/stepUp.js";
import { verifyRoutes } from "./routes/auth/verify.js";
import { healthRoutes } from "./routes/health/health.js";
import { metricsRoutes } from "./routes/health/metrics.js";
import { internalRoutes } from "./routes/internal/internal.js";
import { meRoutes } from "./routes/me/me.js";
import { openapiRoutes } from "./routes/openapi/openapi.js";
import { createRouter } from "./routes/router.js";
import { webRoutes } from "./routes/web/web.js";
import { wechatRoutes } from "./routes/wechat/wechat.js";

/** Options the process (not a request) decides. */
export interface AppOptions {
  /** True once shutdown has begun: /readyz answers 503 and connections are not kept alive. */
  isShuttingDown?: () => boolean;
}

/** Every router of the app, in the order they are mounted (the OpenAPI test walks these). */
export function allRouters(deps: AppDeps, opts: AppOptions = {}): Router[] {
  // One session-requiring middleware for every route that needs a session.
  const auth = authenticate(deps.sessions, deps.config.tokenHeader, deps.metrics);
  return [
    healthRoutes(deps, opts.isShuttingDown ?? (() => false)),
    metricsRoutes(deps),
    openapiRoutes(),
    authRoutes(deps, auth),
    stepUpRoutes(deps, auth),
    webRoutes(deps),
    verifyRoutes(deps, auth),
    ownSessionRoutes(deps, auth),
    meRoutes(deps, auth),
    wechatRoutes(deps, auth),
    adminRoutes(deps),
    webhookAdminRoutes(deps),
    ...(deps.config.adminToken === undefined ? [] : [consoleRoutes()]),
    internalRoutes(deps),
  ];
}

/** Builds the application; it does not listen. */
export function createApp(deps: AppDeps, opts: AppOptions = {}): Koa {
  const app = new Koa();
  // Koa's own error logging would print stacks for errors we already handled and logged.
  app.silent = true;
  // Not app.proxy: Koa would then believe X-Forwarded-Host and -Proto from anyone, and its
  // X-Forwarded-For rule counts hops instead of asking who wrote them. Without trusted proxies,
  // ctx.ip is the socket's address.
  const { trustedProxies } = deps.config;
  if (trustedProxies === "nearest-hop" || trustedProxies.length > 0) app.use(clientIp(trustedProxies));
  const shuttingDown = opts.isShuttingDown ?? (() => false);
  app.use(requestLog(deps.log, deps.metrics));
  // A speed measure of its own, with its switch (RESPONSE_BATCHING): inside the log, so a
  // request's logged duration includes the hold.
  if (deps.config.responseBatching) app.use(batchResponses());
  app.use(errorHandler());
  app.use(securityHeaders(shuttingDown));
  app.use(adminGate(deps.config.adminToken, deps.config.serviceToken));
  if (deps.config.corsOrigins.length) {
    const allowed = new Set(deps.config.corsOrigins);
    app.use(cors({ origin: (ctx) => (allowed.has(ctx.get("origin")) ? ctx.get("origin") : ""), exposeHeaders: ["X-Request-Id"] }));
  }
  app.use(parseJsonBody());
  // One router holding every route (a router mounted in another is flattened into it). Mounted
  // side by side, each router a request passed cost it a Host parse, a scan of that router's
  // routes, an event and a promise: /auth/session paid for four routers ahead of it.
  const root = createRouter();
  for (const router of allRouters(deps, opts)) root.use(router.routes());
  app.use(root.routes());
  // Not thrown: the router then sets the Allow header (RFC 9110 §15.5.6) and a bare 405 or 501,
  // which the error handler renders as 405 METHOD_NOT_ALLOWED with the header kept.
  app.use(root.allowedMethods());
  return app;
}

/** The app of the private metrics listener (METRICS_PORT): /metrics only, errors as JSON. */
export function createMetricsApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler());
  const router = metricsRoutes(deps, "private");
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
