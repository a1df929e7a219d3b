/**
 * The webhook outbox as operators see it (admin API and console): deliveries by status and type,
 * newest first, and a retry of a failed (or delivered) one. Delivering is src/events/worker.ts.
 */
import type { AppDeps } from "../deps.js";
import { webhookDeliveryNotFound, webhookDeliveryPending } from "../errors.js";
import type { WebhookDelivery } from "../generated/prisma/client.js";

/** A page size when none is asked for; at most 200. */
export const DELIVERY_PAGE = 50;

export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  /** The `before` of the next (older) page, or null when this page is the last. */
  next: number | null;
}

/**
 * One page of deliveries, newest first.
 * @param q.before - only deliveries with a smaller id (the previous page's `next`)
 * @param q.limit - page size, 1-200 (default 50)
 * @throws whatever Prisma throws (an unreachable database is 503 in the error handler)
 */
export async function listDeliveries(
  deps: Pick<AppDeps, "prisma">,
  q: { status?: string | undefined; type?: string | undefined; before?: number | undefined; limit?: number | undefined },
): Promise<DeliveryPage> {
  const limit = q.limit ?? DELIVERY_PAGE;
  const rows = await deps.prisma.webhookDelivery.findMany({
    where: {
      ...(q.status !== undefined && { status: q.status }),
      ...(q.type !== undefined && { type: q.type }),
      ...(q.before !== undefined && { id: { lt: BigInt(q.before) } }),
    },
    orderBy: { id: "desc" },
    // One more than asked: whether an older page exists, without a count.
    take: limit + 1,
  });
  const deliveries = rows.slice(0, limit);
  return { deliveries, next: rows.length > limit ? Number(deliveries.at(-1)?.id) : null };
}

/**
 * Sends a failed or delivered event again: pending from now, with a new WEBHOOK_GIVE_UP_AFTER and
 * the same webhook-id and body (receivers de-duplicate a delivered one by its id).
 * @returns the delivery as it now is
 * @throws AppError 404 WEBHOOK_DELIVERY_NOT_FOUND, 409 WEBHOOK_DELIVERY_PENDING (an attempt may be
 *   in flight: a second one at once would send the event twice), 503
 */
export async function retryDelivery(deps: Pick<AppDeps, "prisma" | "config" | "events" | "clock">, id: number): Promise<WebhookDelivery> {
  const now = deps.clock();
  const { count } = await deps.prisma.webhookDelivery.updateMany({
    where: { id: BigInt(id), status: { in: ["failed", "delivered"] } },
    data: {
      status: "pending",
      attempts: 0,
      nextAttemptAt: new Date(now),
      giveUpAt: new Date(now + deps.config.webhooks.giveUpAfter * 1000),
      lastError: null,
    },
  });
  const row = await deps.prisma.webhookDelivery.findUnique({ where: { id: BigInt(id) } });
  if (!row) throw webhookDeliveryNotFound();
  if (!count) throw webhookDeliveryPending();
  deps.events.onDue?.();
  return row;
}
