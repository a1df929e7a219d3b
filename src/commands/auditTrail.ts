/**
 * Reading the audit trail (admin API and console): newest first, filtered by user and action,
 * paged by id. Writing it is audit.ts.
 */
import type { AuditEvent } from "../generated/prisma/client.js";
import type { AdminDeps } from "./sessionAdmin.js";

/** A page size when none is asked for; at most 200. */
export const AUDIT_PAGE = 50;

export interface AuditPage {
  events: AuditEvent[];
  /** The `before` of the next (older) page, or null when this page is the last. */
  next: number | null;
}

/**
 * One page of audit events, newest first.
 * @param q.before - only events with a smaller id (the previous page's `next`)
 * @param q.limit - page size, 1-200 (default 50)
 * @throws whatever Prisma throws (an unreachable database is 503 in the error handler)
 */
export async function listAuditEvents(
  deps: Pick<AdminDeps, "prisma">,
  q: { userId?: number | undefined; action?: string | undefined; before?: number | undefined; limit?: number | undefined },
): Promise<AuditPage> {
  const limit = q.limit ?? AUDIT_PAGE;
  const rows = await deps.prisma.auditEvent.findMany({
    where: {
      ...(q.userId !== undefined && { userId: q.userId }),
      ...(q.action !== undefined && { action: q.action }),
      ...(q.before !== undefined && { id: { lt: BigInt(q.before) } }),
    },
    orderBy: { id: "desc" },
    // One more than asked: whether an older page exists, without a count.
    take: limit + 1,
  });
  const events = rows.slice(0, limit);
  return { events, next: rows.length > limit ? Number(events.at(-1)?.id) : null };
}
