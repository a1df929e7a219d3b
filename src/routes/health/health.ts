/**
 * GET /healthz: the process is up (touches nothing). GET /readyz: Redis and PostgreSQL answer,
 * and the instance is not shutting down; a load balancer stops sending traffic on 503.
 */
import type Router from "@koa/router";
import type { AppDeps } from "../../deps.js";
import { createRouter } from "../router.js";

const READY_TIMEOUT_MS = 1000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref())]);
}

export function healthRoutes(deps: AppDeps, isShuttingDown: () => boolean): Router {
  const router = createRouter();
  router.get("/healthz", function healthz(ctx) {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async function readyz(ctx) {
    const [redis, postgres] = await Promise.allSettled([
      within(deps.redis.ping(), READY_TIMEOUT_MS),
      within(deps.prisma.$queryRaw`SELECT 1`, READY_TIMEOUT_MS),
    ]);
    const checks = {
      redis: redis.status === "fulfilled" ? "ok" : "down",
      postgres: postgres.status === "fulfilled" ? "ok" : "down",
      shuttingDown: isShuttingDown(),
    };
    const ok = checks.redis === "ok" && checks.postgres === "ok" && !checks.shuttingDown;
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? "ok" : "unavailable", checks };
  });
  return router;
}
