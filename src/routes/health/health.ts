/**
 * GET /healthz: the process is up (touches nothing). GET /readyz: Redis and the database answer,
 * and the instance is not shutting down; a load balancer stops sending traffic on 503.
 */
import type Router from "@koa/router";
import { checkBackends } from "../../commands/health.js";
import type { AppDeps } from "../../deps.js";
import { createRouter } from "../router.js";

export function healthRoutes(deps: AppDeps, isShuttingDown: () => boolean): Router {
  const router = createRouter();
  router.get("/healthz", function healthz(ctx) {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async function readyz(ctx) {
    const checks = { ...(await checkBackends(deps)), shuttingDown: isShuttingDown() };
    const ok = checks.redis === "ok" && checks.database === "ok" && !checks.shuttingDown;
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? "ok" : "unavailable", checks };
  });
  return router;
}
