/**
 * GET /metrics: Prometheus text format. Open when METRICS_TOKEN is unset (expose the port only
 * to the scraper), else it needs `Authorization: Bearer <METRICS_TOKEN>`.
 */
import type Router from "@koa/router";
import type { AppDeps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { bearerMatches, secretDigest } from "../../middlewares/requireAdmin.js";
import { createRouter } from "../router.js";

export function metricsRoutes(deps: AppDeps): Router {
  const router = createRouter();
  const expected = deps.config.metricsToken === undefined ? undefined : secretDigest(deps.config.metricsToken);
  router.get("/metrics", async function metrics(ctx) {
    if (expected && !bearerMatches(ctx, expected)) {
      throw new AppError(401, "METRICS_UNAUTHORIZED", "Send Authorization: Bearer <METRICS_TOKEN>.");
    }
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}
