/**
 * The audit trail (PostgreSQL, table audit_events). Events are queued and written in batches
 * (one INSERT for up to 500 events, at most 50 ms after the first), off the request path: a
 * login pays no extra database round trip, and a session revoke still works while PostgreSQL
 * is down (it needs only Redis). Writes are best effort: a failed batch is written again row by
 * row, and a row that still fails is logged as an error, with its event, and dropped. `flush()` writes what is queued (shutdown, the CLI, tests).
 */
import type { Logger } from "pino";
import type { PrismaClient } from "./clients/prisma.js";

/** Every action the trail records. */
export const AUDIT_ACTIONS = [
  "login",
  "logout",
  "revoke",
  "revoke_all",
  "ban",
  "unban",
  "eviction",
  "unionid_conflict",
  "account_deleted",
  "identity_linked",
  "identity_unlinked",
  "restriction_added",
  "restriction_removed",
  "step_up",
  "step_up_failed",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
/** Who acted: the user on their own sessions, an admin over HTTP or the CLI, or tongxing itself. */
export type AuditActor = "user" | "admin_api" | "cli" | "system";

export interface AuditEvent {
  action: AuditAction;
  actor: AuditActor;
  userId: number;
  sessionId?: string | null;
  ip?: string | null;
  detail?: string | null;
  /** The mini-program it happened in: a login's, a logout's, a unionid conflict's. */
  appid?: string | null;
}

/**
 * Account deletion's part of the trail (PIPL Art. 47: personal data deleted; ASVS 4.0 V7.1:
 * security events kept). The events stay, with their ids, actions, actors, times and session ids,
 * so what happened to an account can still be told; what says who the person was goes: the IP
 * address of every event the user or tongxing itself recorded (a login's, a logout's, a unionid
 * conflict's), and an operator's ban reason (free text about the person). An operator's own IP
 * stays: it says who acted, and is not the deleted person's. Run inside the deletion's
 * transaction, and again once queued events are written (AuditLog.flush).
 */
export async function forgetPerson(db: Pick<PrismaClient, "auditEvent">, userId: number): Promise<void> {
  await db.auditEvent.updateMany({ where: { userId, actor: { in: ["user", "system"] }, ip: { not: null } }, data: { ip: null } });
  await db.auditEvent.updateMany({ where: { userId, action: "ban", detail: { not: null } }, data: { detail: null } });
}

const BATCH = 500;
/** Column sizes of audit_events (prisma/schema.prisma). */
const COLUMN = { sessionId: 64, ip: 64, detail: 500, appid: 32 } as const;
const DELAY_MS = 50;

export class AuditLog {
  private queue: (AuditEvent & { at: Date })[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: Logger,
  ) {}

  /** Queues events, stamped now, each field clipped to its column; never throws, never waits. */
  record(events: AuditEvent[]): void {
    if (!events.length) return;
    const at = new Date();
    for (const e of events) {
      this.queue.push({
        ...e,
        at,
        sessionId: e.sessionId?.slice(0, COLUMN.sessionId) ?? null,
        ip: e.ip?.slice(0, COLUMN.ip) ?? null,
        detail: e.detail?.slice(0, COLUMN.detail) ?? null,
        appid: e.appid?.slice(0, COLUMN.appid) ?? null,
      });
    }
    if (this.queue.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), DELAY_MS);
  }

  /** Writes everything queued so far; resolves when it is written (or has failed and been logged). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.writing = this.writing.then(async () => {
      if (!batch.length) return;
      try {
        await this.prisma.auditEvent.createMany({ data: batch });
      } catch {
        // One bad row fails the whole INSERT: write them one by one, so it loses only itself.
        for (const event of batch) {
          await this.prisma.auditEvent
            .create({ data: event })
            .catch((err: unknown) => this.log.error({ err, event }, "audit write failed"));
        }
      }
    });
    return this.writing;
  }
}
