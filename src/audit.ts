/**
 * The audit trail (PostgreSQL, table audit_events). Writes are best effort: a session revoke
 * must work while PostgreSQL is down (it needs only Redis), so a failed audit write is logged
 * as an error, with the event, and does not fail the request.
 */
import type { Logger } from "pino";
import type { PrismaClient } from "./clients/prisma.js";

export type AuditAction = "login" | "logout" | "revoke" | "revoke_all" | "ban" | "unban" | "eviction";
/** Who acted: the user on their own sessions, an admin over HTTP or the CLI, or tongxing itself. */
export type AuditActor = "user" | "admin_api" | "cli" | "system";

export interface AuditEvent {
  action: AuditAction;
  actor: AuditActor;
  userId: number;
  sessionId?: string | null;
  ip?: string | null;
  detail?: string | null;
}

/** Records events; never throws. */
export async function audit(prisma: PrismaClient, log: Logger, events: AuditEvent[]): Promise<void> {
  if (!events.length) return;
  try {
    await prisma.auditEvent.createMany({ data: events.map((e) => ({ ...e, detail: e.detail?.slice(0, 500) ?? null })) });
  } catch (err) {
    log.error({ err: { message: (err as Error).message }, events }, "audit write failed");
  }
}
