/**
 * The admin API's webhook deliveries: list them (the console's failed ones first of all) and
 * retry one. On only when ADMIN_TOKEN is set; src/commands/webhookDeliveries.ts does the work.
 */
import type Router from "@koa/router";
import { z } from "zod";
import { listDeliveries, retryDelivery } from "../../commands/webhookDeliveries.js";
import type { AppDeps } from "../../deps.js";
import { invalidRequest, webhookDeliveryNotFound } from "../../errors.js";
import { EVENT_TYPES } from "../../events/types.js";
import { requireAdmin } from "../../middlewares/requireAdmin.js";
import { describeIssue } from "../../middlewares/validate.js";
import { presentDelivery } from "../../presenters/webhookDelivery.js";
import { createRouter } from "../router.js";
import { pageSize, positiveId } from "./schema.js";

export const DELIVERY_STATUSES = ["pending", "failed", "delivered"] as const;

/** GET /admin/webhooks/deliveries: filters, the cursor (`before`: older than that id), the page size. */
export const deliveriesQuery = z.strictObject({
  status: z.enum(DELIVERY_STATUSES, { error: `must be one of ${DELIVERY_STATUSES.join(", ")}` }).optional(),
  type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(", ")}` }).optional(),
  before: positiveId("before").optional(),
  limit: pageSize.optional(),
});

export function webhookAdminRoutes(deps: AppDeps): Router {
  const router = createRouter("/admin/webhooks");
  router.use(requireAdmin(deps.config.adminToken));

  router.get("/deliveries", async function adminListDeliveries(ctx) {
    const parsed = deliveriesQuery.safeParse(ctx.query, { reportInput: true });
    if (!parsed.success) throw invalidRequest(describeIssue(parsed.error));
    const page = await listDeliveries(deps, parsed.data);
    ctx.body = { deliveries: page.deliveries.map(presentDelivery), next: page.next };
  });

  router.post("/deliveries/:deliveryId/retry", async function adminRetryDelivery(ctx) {
    const parsed = positiveId("deliveryId").safeParse(ctx.params.deliveryId);
    if (!parsed.success) throw webhookDeliveryNotFound();
    ctx.body = presentDelivery(await retryDelivery(deps, parsed.data));
  });

  return router;
}
