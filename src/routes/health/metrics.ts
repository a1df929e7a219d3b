/**
 * GET /metrics: Prometheus text format. Where it is served (OWASP ASVS V14.3.2-style: no
 * internals on the public port by accident):
 * - METRICS_PORT set: only on that second listener (server.ts), meant for a private network;
 *   the main port answers 404.
 * - otherwise on the main port: with METRICS_TOKEN set, behind `Authorization: Bearer
 *   <METRICS_TOKEN>`; without it, open outside production and off (404) in production.
 */
import type Router from "@koa/router";
import type { Config } from "../../config/config.js";
import type { AppDeps } from "../../deps.js";
import { metricsUnauthorized, notFound } from "../../errors.js";
import { bearerMatches, secretDigest } from "../../middlewares/requireAdmin.js";
import { createRouter } from "../router.js";

/** Whether the main port serves /metrics under `config`. */
export function metricsOnMainPort(config: Config): boolean {
  if (config.metricsPort !== undefined) return false;
  return config.metricsToken !== undefined || config.nodeEnv !== "production";
}

/**
 * The /metrics route.
 * @param listener - "main" for the public port, "private" for METRICS_PORT's listener
 */
export function metricsRoutes(deps: AppDeps, listener: "main" | "private" = "main"): Router {
  const router = createRouter();
  const served = listener === "private" || metricsOnMainPort(deps.config);
  const expected = deps.config.metricsToken === undefined ? undefined : secretDigest(deps.config.metricsToken);
  router.get("/metrics", async function metrics(ctx) {
    if (!served) throw notFound();
    if (expected && !bearerMatches(ctx, expected)) throw metricsUnauthorized();
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}
