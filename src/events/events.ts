/**
 * Recording events in the webhook outbox (table webhook_deliveries): one row per event and
 * endpoint that wants its type, each with the body it will be sent, stamped once. The worker
 * (worker.ts) delivers them; nothing here waits for a receiver.
 *
 * Two ways in, one per kind of change:
 * - `record(tx, events)`: the change is a database write. The rows go in the same transaction, so
 *   an event exists exactly when its change committed (a crash at any point loses neither or
 *   both).
 * - `recordAfter(events)`: the change lives in Redis only (a session created, revoked, evicted).
 *   Redis and the database share no transaction, so the rows are written right after the Redis
 *   change succeeded. A failed write is kept in memory and tried again every few seconds, and once
 *   more on shutdown; only a process killed in between (or an outage outlasting the process) loses
 *   a `session.*` event. docs/operations.md, "Events", says so.
 */
import { customAlphabet } from "nanoid";
import type { Logger } from "pino";
import type { PrismaClient } from "../clients/prisma.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { TongxingEvent } from "./types.js";
import type { WebhookEndpoint } from "./webhooksConfig.js";

/** What recording needs of an endpoint: never its secret (the admin CLI records without one). */
export type EndpointRoute = Pick<WebhookEndpoint, "url" | "events" | "includeOpenid">;

/** A client or a transaction's client: whatever can write the outbox. */
export type OutboxWriter = Pick<PrismaClient, "webhookDelivery">;

type Row = Prisma.WebhookDeliveryCreateManyInput;

/**
 * The webhook-id: `msg_` and 24 characters of A-Z a-z 0-9 (143 bits), the prefix and alphabet
 * Standard Webhooks' examples use. No `.`: the signed content is `{id}.{timestamp}.{body}`.
 */
const messageId = customAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24);

/** Milliseconds between tries of the rows a failed recordAfter kept. */
const BACKLOG_RETRY_MS = 5_000;
/** Rows kept at most while the database is unreachable; older ones are dropped (and logged). */
const BACKLOG_MAX = 100_000;

export class Events {
  private backlog: Row[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Told when rows became due (recorded, or retried by an operator): the local worker looks at once. */
  onDue: (() => void) | undefined;

  /**
   * @param endpoints - where events go; none: nothing is ever recorded
   * @param giveUpAfter - seconds an event is retried for after it is recorded (WEBHOOK_GIVE_UP_AFTER)
   * @param clock - epoch milliseconds
   */
  constructor(
    private readonly endpoints: readonly EndpointRoute[],
    private readonly prisma: OutboxWriter,
    private readonly log: Logger,
    private readonly giveUpAfter: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** False without WEBHOOKS: callers may skip building events. */
  get enabled(): boolean {
    return this.endpoints.length > 0;
  }

  /**
   * Writes `events` with the change they report, in its transaction.
   * @throws whatever Prisma throws, which rolls the change back with them
   */
  async record(tx: OutboxWriter, events: TongxingEvent[]): Promise<void> {
    const rows = this.rows(events);
    if (!rows.length) return;
    await tx.webhookDelivery.createMany({ data: rows });
    this.onDue?.();
  }

  /**
   * Writes `events` after a Redis-only change. Never throws: the change has happened, and failing
   * the request would not bring the event back (a retried logout finds no session to end).
   */
  async recordAfter(events: TongxingEvent[]): Promise<void> {
    const rows = this.rows(events);
    if (!rows.length) return;
    try {
      await this.prisma.webhookDelivery.createMany({ data: rows });
      this.onDue?.();
    } catch (err) {
      this.log.warn({ err, events: rows.length }, "webhook events not recorded yet: trying again");
      this.keep(rows);
    }
  }

  /** Writes what failed earlier; on shutdown, whatever is still kept is logged as lost. */
  async flush(final = false): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.backlog;
    this.backlog = [];
    if (!rows.length) return;
    try {
      await this.prisma.webhookDelivery.createMany({ data: rows });
      this.log.info({ events: rows.length }, "webhook events recorded after a retry");
      this.onDue?.();
    } catch (err) {
      if (final) this.lost(rows, err);
      else this.keep(rows);
    }
  }

  private keep(rows: Row[]): void {
    this.backlog.push(...rows);
    const over = this.backlog.length - BACKLOG_MAX;
    if (over > 0) this.lost(this.backlog.splice(0, over), new Error(`more than ${BACKLOG_MAX} events waiting for the database`));
    this.timer ??= setTimeout(() => void this.flush(), BACKLOG_RETRY_MS);
    this.timer.unref();
  }

  /** Ids and types only: a body may carry openids. */
  private lost(rows: Row[], err: unknown): void {
    this.log.error({ err, lost: rows.map((r) => `${r.eventId} ${r.type} ${new URL(r.url).host}`) }, "webhook events lost");
  }

  /** One row per event and endpoint that takes its type; the same webhook-id and timestamp on each. */
  private rows(events: TongxingEvent[]): Row[] {
    if (!this.endpoints.length || !events.length) return [];
    const now = this.clock();
    const timestamp = new Date(now).toISOString();
    const giveUpAt = new Date(now + this.giveUpAfter * 1000);
    const rows: Row[] = [];
    for (const event of events) {
      const eventId = `msg_${messageId()}`;
      for (const e of this.endpoints) {
        if (e.events && !e.events.includes(event.type)) continue;
        const data = e.includeOpenid ? { ...event.data, ...event.ids } : event.data;
        const body = JSON.stringify({ type: event.type, timestamp, data });
        rows.push({ eventId, type: event.type, url: e.url, body, giveUpAt, nextAttemptAt: new Date(now), createdAt: new Date(now) });
      }
    }
    return rows;
  }
}
