/**
 * createApp(deps): the Koa application. Middleware order: request log → error handler → body
 * parser → routes. Dependencies come in from outside (main.ts, or a test with real clients).
 */
import Koa from "koa";
import { koaBody } from "koa-body";
import type { AppDeps } from "./deps.js";
import { errorHandler } from "./middlewares/errorHandler.js";
import { requestLog } from "./middlewares/requestLog.js";
import { adminRoutes } from "./routes/admin/admin.js";
import { authRoutes } from "./routes/auth/auth.js";
import { healthRoutes } from "./routes/health/health.js";
import { meRoutes } from "./routes/me/me.js";
import { ownSessionRoutes } from "./routes/sessions/sessions.js";
import { wechatRoutes } from "./routes/wechat/wechat.js";

/** Options the process (not a request) decides. */
export interface AppOptions {
  /** True once shutdown has begun: /readyz answers 503. */
  isShuttingDown?: () => boolean;
}

/** Builds the application; it does not listen. */
export function createApp(deps: AppDeps, opts: AppOptions = {}): Koa {
  const app = new Koa();
  // Koa's own error logging would print stacks for errors we already handled and logged.
  app.silent = true;
  app.use(requestLog(deps.log));
  app.use(errorHandler());
  app.use(koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: "16kb", jsonStrict: true }));
  for (const router of [
    healthRoutes(deps, opts.isShuttingDown ?? (() => false)),
    authRoutes(deps),
    ownSessionRoutes(deps),
    meRoutes(deps),
    wechatRoutes(deps),
    adminRoutes(deps),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
