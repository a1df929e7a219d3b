/**
 * The delivery worker: every instance runs one, on a database pool of its own (server.ts), so
 * deliveries never take a connection a login is waiting for, and no request ever waits for a
 * receiver. It claims due rows (outbox.ts: one instance per row at a time), sends each
 * (send.ts), and writes the outcome:
 * - a 2xx: delivered;
 * - anything else: tried again after the next step of WEBHOOK_RETRY_SCHEDULE (5 s, 30 s, 2 min,
 *   10 min, 1 h, then every 4 h by default), with the same webhook-id, until WEBHOOK_GIVE_UP_AFTER
 *   (3 days) after the event was recorded; an attempt failing after that marks it failed (the
 *   last retry is made at that moment, whatever the schedule says).
 * It also removes delivered rows older than WEBHOOK_RETENTION, and keeps the oldest-pending gauge.
 */
import type { Logger } from "pino";
import { Webhook } from "standardwebhooks";
import { Agent } from "undici";
import type { PrismaClient } from "../clients/prisma.js";
import type { Metrics } from "../metrics/metrics.js";
import { type ClaimedDelivery, claimDue, type Finish, finish, oldestPending, purgeDelivered } from "./outbox.js";
import { attemptDelivery } from "./send.js";
import type { WebhookEndpoint } from "./webhooksConfig.js";

export interface WorkerOptions {
  endpoints: readonly WebhookEndpoint[];
  /** Seconds per attempt (WEBHOOK_TIMEOUT). */
  timeout: number;
  /** Seconds after the 1st, 2nd, ... failed attempt; the last repeats (WEBHOOK_RETRY_SCHEDULE). */
  retrySchedule: readonly number[];
  /** Seconds a delivered row is kept (WEBHOOK_RETENTION). */
  retention: number;
}

/** Attempts in flight per instance at most. */
const MAX_IN_FLIGHT = 32;
/** Milliseconds between looks for due rows when nothing told the worker of new ones. */
const POLL_MS = 1_000;
/** Milliseconds between retention passes and oldest-pending readings. */
const HOUSEKEEPING_MS = 10_000;

/**
 * The delay before attempt n + 1, after n failed attempts.
 * @returns milliseconds
 */
export function retryDelayMs(schedule: readonly number[], failedAttempts: number): number {
  const step = schedule[Math.min(failedAttempts, schedule.length) - 1] ?? schedule[0] ?? 5;
  return step * 1000;
}

export class WebhookWorker {
  private readonly signers = new Map<string, Webhook>();
  private readonly dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: MAX_IN_FLIGHT });
  private readonly inFlight = new Set<Promise<void>>();
  private poll: NodeJS.Timeout | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  private housekeepingRun: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: WorkerOptions,
    private readonly metrics: Pick<Metrics, "webhookDeliveries" | "webhookOldestPending">,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    for (const e of options.endpoints) this.signers.set(e.url, new Webhook(e.secret));
  }

  /** Starts polling; the first look is immediate (events left by a previous run). */
  start(): void {
    this.poll = setInterval(() => this.tick(), POLL_MS);
    this.housekeeping = setInterval(() => this.keepHouse(), HOUSEKEEPING_MS);
    this.tick();
    this.keepHouse();
  }

  /** Looks for due rows shortly (events were just recorded); several calls make one look. */
  wake(): void {
    if (this.stopped || this.soon) return;
    // A moment's wait: a transaction that recorded events has usually committed by then.
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.tick();
    }, 20);
  }

  /**
   * Stops claiming, then waits for the attempts in flight to be written (at most the timeout and
   * a second), so they are not claimed again after their lease. Call before closing the pool.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    clearInterval(this.housekeeping);
    clearTimeout(this.soon);
    await Promise.all([this.claiming, this.housekeepingRun]);
    const deadline = new Promise((resolve) => setTimeout(resolve, this.options.timeout * 1000 + 1000).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    await this.dispatcher.close().catch(() => {});
  }

  /** The lease: an attempt's whole timeout twice over, and 5 s for the database writes around it. */
  private get leaseMs(): number {
    return 2 * this.options.timeout * 1000 + 5000;
  }

  private tick(): void {
    if (this.stopped || this.claiming) return;
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (free <= 0) return;
    this.claiming = this.claim(free)
      .catch((err: unknown) => this.log.warn({ err }, "webhook deliveries not claimed"))
      .finally(() => {
        this.claiming = undefined;
      });
  }

  private async claim(free: number): Promise<void> {
    const urls = [...this.signers.keys()];
    const claimed = await claimDue(this.prisma, urls, new Date(this.clock()), free, this.leaseMs);
    for (const d of claimed) {
      const attempt: Promise<void> = this.deliver(d)
        .catch((err: unknown) => this.log.warn({ err, eventId: d.eventId }, "webhook delivery outcome not written"))
        .finally(() => {
          this.inFlight.delete(attempt);
          this.wake();
        });
      this.inFlight.add(attempt);
    }
    // A full batch: more may be due right now.
    if (claimed.length === free) this.wake();
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const signer = this.signers.get(d.url);
    if (!signer) return;
    const result = await attemptDelivery(d.url, signer, d, this.options.timeout * 1000, this.clock(), this.dispatcher);
    const now = this.clock();
    let outcome: Finish;
    if (result.delivered) outcome = { status: "delivered" };
    else if (now >= d.giveUpAt.getTime()) outcome = { status: "failed", error: result.error };
    else {
      const next = Math.min(now + retryDelayMs(this.options.retrySchedule, d.attempts), d.giveUpAt.getTime());
      outcome = { status: "pending", nextAttemptAt: new Date(next), error: result.error };
    }
    const written = await finish(this.prisma, d, outcome, new Date(now));
    if (!written) return;
    this.metrics.webhookDeliveries.labels(outcome.status === "pending" ? "retrying" : outcome.status).inc();
    if (!result.delivered) {
      // The host only: a URL's path or query may carry the receiver's token.
      const fields = { eventId: d.eventId, type: d.type, host: new URL(d.url).host, attempts: d.attempts, error: result.error };
      if (outcome.status === "failed") this.log.error(fields, "webhook delivery failed for good: retry it from the admin API");
      else this.log.warn(fields, "webhook delivery failed: will retry");
    }
  }

  /** Retention and the oldest-pending gauge; each instance does it, which is harmless. */
  private keepHouse(): void {
    if (this.stopped || this.housekeepingRun) return;
    this.housekeepingRun = this.purgeAndMeasure().finally(() => {
      this.housekeepingRun = undefined;
    });
  }

  private async purgeAndMeasure(): Promise<void> {
    try {
      const cutoff = new Date(this.clock() - this.options.retention * 1000);
      const purged = await purgeDelivered(this.prisma, cutoff);
      if (purged) this.log.debug({ purged }, "delivered webhook events removed");
      const oldest = await oldestPending(this.prisma);
      this.metrics.webhookOldestPending.set(oldest ? Math.max(0, (this.clock() - oldest.getTime()) / 1000) : 0);
    } catch (err) {
      this.log.warn({ err }, "webhook housekeeping failed");
    }
  }
}
