/**
 * The audit trail (PostgreSQL, table audit_events). Events are queued and written in batches
 * (one INSERT for up to 500 events, at most 50 ms after the first), off the request path: a
 * login pays no extra database round trip, and a session revoke still works while PostgreSQL
 * is down (it needs only Redis). Writes are best effort: a failed batch is logged as an error,
 * with its events, and dropped. `flush()` writes what is queued (shutdown, the CLI, tests).
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

const BATCH = 500;
const DELAY_MS = 50;

export class AuditLog {
  private queue: (AuditEvent & { at: Date })[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: Logger,
  ) {}

  /** Queues events, stamped now; never throws, never waits. */
  record(events: AuditEvent[]): void {
    if (!events.length) return;
    const at = new Date();
    for (const e of events) this.queue.push({ ...e, at, detail: e.detail?.slice(0, 500) ?? null });
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
      } catch (err) {
        this.log.error({ err: { message: (err as Error).message }, events: batch }, "audit write failed");
      }
    });
    return this.writing;
  }
}
