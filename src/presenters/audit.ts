import type { AuditEvent } from "../generated/prisma/client.js";

/** An audit event as an admin reads it (GET /admin/audit). */
export interface PresentedAuditEvent {
  /** The cursor: a page's `next` is the id of its oldest event. Below 2^53 for centuries. */
  id: number;
  /** ISO 8601. */
  at: string;
  action: string;
  actor: string;
  userId: number;
  sessionId: string | null;
  ip: string | null;
  detail: string | null;
  /** The mini-program it happened in (login, logout, unionid_conflict); null otherwise. */
  appid: string | null;
}

export function presentAuditEvent(e: AuditEvent): PresentedAuditEvent {
  return {
    id: Number(e.id),
    at: e.at.toISOString(),
    action: e.action,
    actor: e.actor,
    userId: e.userId,
    sessionId: e.sessionId,
    ip: e.ip,
    detail: e.detail,
    appid: e.appid,
  };
}
