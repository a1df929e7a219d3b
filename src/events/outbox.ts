/**
 * The worker's reads and writes of the outbox (table webhook_deliveries), the same SQL on
 * PostgreSQL and MySQL 8 / MariaDB 10.6+.
 *
 * One event is sent by one instance at a time: a claim takes due rows `FOR UPDATE SKIP LOCKED`
 * (rows another instance is claiming are skipped, not waited for) and, in the same transaction,
 * leases them: `next_attempt_at` moves past the attempt's end and `attempts` grows by one. No
 * transaction is held while a receiver answers. The attempt's outcome is written only if the row
 * is still as claimed (`attempts` unchanged): an instance that stalled past its lease, whose row
 * another instance claimed meanwhile, writes nothing.
 */
import type { PrismaClient } from "../clients/prisma.js";
import { Prisma } from "../generated/prisma/client.js";

/** A claimed row: what to send, and what finishing it checks. */
export interface ClaimedDelivery {
  id: bigint;
  eventId: string;
  type: string;
  url: string;
  body: string;
  /** Attempts including this one: the fence finish() checks. */
  attempts: number;
  giveUpAt: Date;
}

/**
 * Claims up to `limit` pending rows due at `now` for the endpoints in `urls`, oldest due first.
 * Rows of an endpoint this instance does not know (another release's configuration) are left to
 * the instances that do.
 * @param leaseMs - milliseconds no other instance may claim them for
 */
export async function claimDue(
  prisma: PrismaClient,
  urls: string[],
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  return prisma.$transaction(async (tx) => {
    const due = await tx.$queryRaw<{ id: bigint | number | string }[]>`
      SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= ${now} AND url IN (${Prisma.join(urls)})
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED`;
    if (!due.length) return [];
    const ids = due.map((r) => BigInt(r.id));
    await tx.webhookDelivery.updateMany({
      where: { id: { in: ids } },
      data: { nextAttemptAt: new Date(now.getTime() + leaseMs), attempts: { increment: 1 }, lastAttemptAt: now },
    });
    return tx.webhookDelivery.findMany({
      where: { id: { in: ids } },
      select: { id: true, eventId: true, type: true, url: true, body: true, attempts: true, giveUpAt: true },
    });
  });
}

/** How an attempt ended, for finish(). */
export type Finish =
  | { status: "delivered" }
  | { status: "pending"; nextAttemptAt: Date; error: string }
  | { status: "failed"; error: string };

/**
 * Writes an attempt's outcome, unless the row was claimed again since (see the header).
 * @returns whether it was written
 */
export async function finish(prisma: PrismaClient, d: ClaimedDelivery, outcome: Finish, now: Date): Promise<boolean> {
  const data =
    outcome.status === "delivered"
      ? // Retention counts from next_attempt_at for a delivered row (schema.prisma).
        { status: "delivered", nextAttemptAt: now, lastError: null }
      : outcome.status === "pending"
        ? { nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error }
        : { status: "failed", nextAttemptAt: now, lastError: outcome.error };
  const { count } = await prisma.webhookDelivery.updateMany({
    where: { id: d.id, status: "pending", attempts: d.attempts },
    data,
  });
  return count > 0;
}

/**
 * Deletes delivered rows older than `cutoff`, at most `max` (in batches of 1,000: MySQL takes no
 * LIMIT in an IN subquery, so ids are read first).
 * @returns how many were deleted
 */
export async function purgeDelivered(prisma: PrismaClient, cutoff: Date, max = 10_000): Promise<number> {
  let deleted = 0;
  while (deleted < max) {
    const rows = await prisma.webhookDelivery.findMany({
      where: { status: "delivered", nextAttemptAt: { lt: cutoff } },
      select: { id: true },
      take: 1000,
    });
    if (!rows.length) break;
    const { count } = await prisma.webhookDelivery.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    deleted += count;
    if (rows.length < 1000) break;
  }
  return deleted;
}

/** When the oldest pending event was recorded, or null when none is pending. */
export async function oldestPending(prisma: PrismaClient): Promise<Date | null> {
  const row = await prisma.webhookDelivery.findFirst({ where: { status: "pending" }, orderBy: { id: "asc" }, select: { createdAt: true } });
  return row?.createdAt ?? null;
}
