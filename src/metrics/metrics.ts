/**
 * Prometheus metrics (prom-client), one registry per app so that several instances can live in
 * one process (tests). Hot-path counters are bound to their labels once, so a request pays a
 * counter increment, not a label lookup.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type ResolutionOutcome = "valid" | "missing" | "invalid" | "unavailable";

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration in seconds by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly logins = new Counter({
    name: "tongxing_logins_total",
    help: "Logins by platform and outcome: new_user, returning_user, replayed, or the error code",
    labelNames: ["platform", "outcome"] as const,
    registers: [this.registry],
  });
  readonly loginDuration = new Histogram({
    name: "tongxing_login_duration_seconds",
    help: "Login duration in seconds (the platform's exchange, the database, Redis) by platform",
    labelNames: ["platform"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [this.registry],
  });
  readonly platformCalls = new Counter({
    name: "tongxing_platform_calls_total",
    help: "Calls to the platforms other than WeChat by platform, api and outcome (ok, the platform's error value, or retryable)",
    labelNames: ["platform", "api", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly resolutions = new Counter({
    name: "tongxing_session_resolutions_total",
    help: "Session token resolutions by outcome: valid, missing, invalid, unavailable (Redis down)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly wechatCalls = new Counter({
    name: "tongxing_wechat_calls_total",
    help: "WeChat API calls by api and errcode (0 for success, 'retryable' for busy/5xx/timeouts/network)",
    labelNames: ["api", "errcode"] as const,
    registers: [this.registry],
  });
  readonly wechatDuration = new Histogram({
    name: "tongxing_wechat_call_duration_seconds",
    help: "WeChat API call latency in seconds by api",
    labelNames: ["api"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly internalAccessToken = new Counter({
    name: "tongxing_internal_access_token_requests_total",
    help: "access_tokens served to (get) and handed back by (invalidate) the team's other backends, by appid and caller (an X-Tongxing-Caller listed in CALLER_NAMES, other, or unnamed)",
    labelNames: ["appid", "op", "caller"] as const,
    registers: [this.registry],
  });
  readonly sessionCache = new Counter({
    name: "tongxing_session_cache_total",
    help: "Session checks by what the process-local cache did: hit, miss, or bypass (off until Redis can tell it of every write)",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly unionidConflicts = new Counter({
    name: "tongxing_unionid_conflicts_total",
    help: "Logins whose identity brought a unionid another user already holds (not merged; see the audit trail's unionid_conflict)",
    registers: [this.registry],
  });
  readonly accessTokenRefreshes = new Counter({
    name: "tongxing_access_token_refreshes_total",
    help: "access_tokens fetched from WeChat's stable token API",
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: "tongxing_webhook_deliveries_total",
    help: "Webhook delivery attempts by status: delivered (2xx), retrying (failed, tried again later), failed (given up after WEBHOOK_GIVE_UP_AFTER)",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  readonly webhookOldestPending = new Gauge({
    name: "tongxing_webhook_oldest_pending_seconds",
    help: "Age in seconds of the oldest webhook event not delivered yet, across instances (0: none pending)",
    registers: [this.registry],
  });
  /**
   * Also told of logins, WeChat errors and session checks: the console's overview (overview.ts),
   * set once at start.
   */
  onEvent: ((series: "logins" | "wechat_errors" | "checks", outcome: string) => void) | undefined;

  private resolutionOf(outcome: ResolutionOutcome): { inc(): void } {
    const child = this.resolutions.labels(outcome);
    return {
      inc: () => {
        child.inc();
        this.onEvent?.("checks", outcome);
      },
    };
  }

  /** Bound children: the auth middleware increments these on every request. */
  readonly resolution: Record<ResolutionOutcome, { inc(): void }> = {
    valid: this.resolutionOf("valid"),
    missing: this.resolutionOf("missing"),
    invalid: this.resolutionOf("invalid"),
    unavailable: this.resolutionOf("unavailable"),
  };

  /**
   * Counts a login by platform and outcome (new_user, returning_user, replayed, or the error
   * code) and observes its duration.
   * @param durationMs - milliseconds
   */
  recordLogin(platform: string, outcome: string, durationMs: number): void {
    this.logins.labels(platform, outcome).inc();
    this.loginDuration.labels(platform).observe(durationMs / 1000);
    this.onEvent?.("logins", outcome);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Records one finished WeChat call (the observer callWechat takes). Duration in milliseconds. */
  readonly observeWechat = (api: string, errcode: string, durationMs: number): void => {
    this.wechatCalls.labels(api, errcode).inc();
    this.wechatDuration.labels(api).observe(durationMs / 1000);
    if (errcode !== "0") this.onEvent?.("wechat_errors", errcode);
  };
}
