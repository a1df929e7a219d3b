/**
 * The OpenAPI entries of the admin API's webhook deliveries (routes/admin/webhooks.ts), with
 * their response schemas; openapi.ts adds them to the document.
 */
import { z } from "zod";
import { EVENT_TYPES } from "../../events/types.js";
import { DELIVERY_STATUSES } from "../admin/webhooks.js";
import type { RouteDoc } from "./routeDoc.js";

const isoTime = z.string().describe("ISO 8601 time, UTC");

export const webhookDelivery = z.object({
  id: z.number().int(),
  eventId: z.string().describe("The webhook-id header: the same at every endpoint and on every retry"),
  type: z.enum(EVENT_TYPES),
  endpoint: z.string().describe("The endpoint's origin and path (never its query)"),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int().describe("Attempts since the event was recorded or an operator last retried it"),
  createdAt: isoTime,
  nextAttemptAt: isoTime.nullable().describe("When a pending delivery is next tried"),
  lastAttemptAt: isoTime.nullable(),
  lastError: z.string().nullable().describe("HTTP <status>, timeout, or a connection error code such as ECONNREFUSED"),
  deliveredAt: isoTime.nullable(),
  event: z.object({ type: z.enum(EVENT_TYPES), timestamp: isoTime, data: z.record(z.string(), z.unknown()) }),
});

const deliveryPage = z.object({
  deliveries: z.array(webhookDelivery),
  next: z.number().int().nullable().describe("Pass as ?before= for the next (older) page; null on the last"),
});

export const WEBHOOK_ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/admin/webhooks/deliveries",
    summary:
      "Webhook deliveries, newest first: ?status= (pending, failed, delivered), ?type= (an event type), ?before= (cursor: the previous page's next), ?limit= (1-200, default 50)",
    auth: "admin",
    status: 200,
    response: deliveryPage,
    errors: { 400: ["INVALID_REQUEST"], 401: ["ADMIN_UNAUTHORIZED"], 503: ["SERVICE_UNAVAILABLE"] },
  },
  {
    method: "post",
    path: "/admin/webhooks/deliveries/:deliveryId/retry",
    summary:
      "Send a failed (or delivered) event again, now, with the same webhook-id; retried for WEBHOOK_GIVE_UP_AFTER from now. 409 while it is pending",
    auth: "admin",
    status: 200,
    response: webhookDelivery,
    errors: {
      401: ["ADMIN_UNAUTHORIZED"],
      404: ["WEBHOOK_DELIVERY_NOT_FOUND"],
      409: ["WEBHOOK_DELIVERY_PENDING"],
      503: ["SERVICE_UNAVAILABLE"],
    },
  },
];
