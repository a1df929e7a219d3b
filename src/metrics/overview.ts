/**
 * The console's overview: logins per minute (new vs returning), WeChat errors by errcode and
 * session checks by outcome, over the last hour, for the whole deployment. Each instance counts
 * in memory and adds its counts to per-minute Redis hashes every few seconds (one pipeline, not
 * a Redis write per request: session checks are the hot path); the hashes expire after two
 * hours. Not Prometheus: this is for people in the console; /metrics is for monitoring.
 *
 * Keys: `<prefix>{overview}:<series>:<epoch minute>`, fields are the outcomes (one slot, so a
 * pipeline works on Redis Cluster too).
 */
import type { Logger } from "pino";
import type { RedisClient } from "../clients/redis.js";

export const OVERVIEW_SERIES = ["logins", "wechat_errors", "checks"] as const;
export type OverviewSeries = (typeof OVERVIEW_SERIES)[number];

/** Minutes the overview covers. */
export const OVERVIEW_MINUTES = 60;
const FLUSH_MS = 5000;

/** The last hour: `minutes` (epoch ms of each minute's start, oldest first) and per series, per outcome, one count per minute. */
export interface OverviewData {
  minutes: number[];
  series: Record<OverviewSeries, Record<string, number[]>>;
}

export class Overview {
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  private key(series: string, minute: number): string {
    return `${this.prefix}{overview}:${series}:${minute}`;
  }

  /** Counts one event now (no I/O). */
  count(series: OverviewSeries, outcome: string): void {
    const id = `${series}\u0000${Math.floor(this.clock() / 60_000)}\u0000${outcome}`;
    this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
  }

  /** Adds what was counted to Redis; counts that cannot be written are dropped (logged). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    for (const [id, n] of batch) {
      const [series, minute, outcome] = id.split("\u0000") as [string, string, string];
      const key = this.key(series, Number(minute));
      pipeline.hincrby(key, outcome, n);
      pipeline.expire(key, 2 * 60 * OVERVIEW_MINUTES);
    }
    try {
      await pipeline.exec();
    } catch (err) {
      this.log.warn({ err }, "overview counts not written");
    }
  }

  /** The last OVERVIEW_MINUTES minutes, this one included, summed over every instance. */
  async lastHour(): Promise<OverviewData> {
    const now = Math.floor(this.clock() / 60_000);
    const minutes = Array.from({ length: OVERVIEW_MINUTES }, (_, i) => now - OVERVIEW_MINUTES + 1 + i);
    const pipeline = this.redis.pipeline();
    for (const series of OVERVIEW_SERIES) for (const minute of minutes) pipeline.hgetall(this.key(series, minute));
    const replies = (await pipeline.exec()) ?? [];
    const series = Object.fromEntries(OVERVIEW_SERIES.map((s) => [s, {}])) as OverviewData["series"];
    OVERVIEW_SERIES.forEach((name, s) => {
      minutes.forEach((_, m) => {
        const [err, fields] = replies[s * minutes.length + m] ?? [];
        if (err) throw err;
        for (const [outcome, n] of Object.entries((fields ?? {}) as Record<string, string>)) {
          series[name][outcome] ??= Array(minutes.length).fill(0) as number[];
          (series[name][outcome] as number[])[m] = Number(n);
        }
      });
    });
    return { minutes: minutes.map((m) => m * 60_000), series };
  }

  /** Writes what is pending and stops the timer (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
