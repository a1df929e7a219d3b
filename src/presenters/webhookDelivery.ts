import type { WebhookDelivery } from "../generated/prisma/client.js";

/** A webhook delivery as an admin reads it (GET /admin/webhooks/deliveries). */
export interface PresentedDelivery {
  /** The cursor: a page's `next` is the id of its oldest delivery. */
  id: number;
  /** The webhook-id, the same at every endpoint and on every retry. */
  eventId: string;
  type: string;
  /** The endpoint's origin and path: its query and credentials may be the receiver's secrets. */
  endpoint: string;
  status: string;
  /** Attempts since the event was recorded or last retried by an operator. */
  attempts: number;
  /** ISO 8601: when the event was recorded. */
  createdAt: string;
  /** ISO 8601: when a pending delivery is next tried; null otherwise. */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** Why the last attempt failed (`HTTP 500`, `timeout`, `ECONNREFUSED`); null once delivered. */
  lastError: string | null;
  deliveredAt: string | null;
  /** The event as sent: {type, timestamp, data}. */
  event: unknown;
}

/** The part of a URL that names the receiver without its secrets. */
function endpointOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

export function presentDelivery(d: WebhookDelivery): PresentedDelivery {
  return {
    id: Number(d.id),
    eventId: d.eventId,
    type: d.type,
    endpoint: endpointOf(d.url),
    status: d.status,
    attempts: d.attempts,
    createdAt: d.createdAt.toISOString(),
    nextAttemptAt: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    lastError: d.lastError,
    // A delivered row's next_attempt_at is its delivery time (schema.prisma).
    deliveredAt: d.status === "delivered" ? d.nextAttemptAt.toISOString() : null,
    event: JSON.parse(d.body),
  };
}
