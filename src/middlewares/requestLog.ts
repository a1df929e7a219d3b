/**
 * One JSON log line per request: method, route, status, duration (ms), request id and userId.
 * The URL is logged without its query string, and no header is logged, so no token can reach
 * the log through here. `X-Request-Id` is taken from the client when it is a sane id, else made
 * up, and echoed back. The duration includes what the middleware after it (batchResponses.ts)
 * holds the response.
 */
import { randomUUID } from "node:crypto";
import type { Context, Next } from "koa";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import type { AppState } from "../state.js";

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The route template that served the request (e.g. "/admin/users/:userId/sessions"), or
 * "unmatched": bounded label values, no ids or tokens from paths. It is the first layer the
 * router matched that serves this method; router-level middleware layers serve none, so a
 * request an authentication middleware refused is still labelled with the route it guarded
 * (@koa/router's `_matchedRoute` would hold that middleware's pattern, "/me(?:\/|$)").
 */
function routeTemplate(ctx: Context): string {
  const matched = (ctx as { matched?: { path: string; methods: string[] }[] }).matched;
  return matched?.find((layer) => layer.methods.includes(ctx.method))?.path ?? "unmatched";
}

/**
 * The request's `ctx.state`: every request gets one of these in place of Koa's empty object, so
 * the lazy `log` is a getter on a class (one hidden class for all requests) rather than an
 * accessor defined on each request's object, which cost about 3 µs a request in a profile. Its
 * fields are declared up front (one shape for every request) and checked against AppState.
 */
class RequestState implements Partial<AppState> {
  auth: AppState["auth"] | undefined = undefined;
  body: unknown = undefined;
  userId: number | undefined = undefined;
  serviceCaller: boolean | undefined = undefined;
  #child: Logger | undefined;
  constructor(
    private readonly root: Logger,
    readonly requestId: string,
  ) {}
  /** A child logger with the request id, made on first use: most requests log nothing but their line. */
  get log(): Logger {
    this.#child ??= this.root.child({ requestId: this.requestId });
    return this.#child;
  }
  /** The child logger if something made it. */
  get madeLog(): Logger | undefined {
    return this.#child;
  }
}

/** What a request's line and metrics record. durationMs: milliseconds. */
export interface RequestOutcome {
  method: string;
  route: string;
  status: number;
  durationMs: number;
  requestId: string;
  userId: number | undefined;
}

/**
 * Records a finished request: its two HTTP metrics and its log line (error level for a 5xx).
 * One recorder for the app's requestLog and the forward-auth fast path (verifyFastPath.ts), so
 * both write the same line and count in the same series.
 * @param child - the request's child logger, when something made one (it carries the request id)
 */
export function requestRecorder(log: Logger, metrics: Metrics): (outcome: RequestOutcome, child?: Logger) => void {
  // The labelled children of the two HTTP metrics, resolved once per method, route and status
  // (a bounded set: route templates, not paths) instead of on every request.
  const children = new Map<string, { count: { inc(): void }; duration: { observe(seconds: number): void } }>();
  const metricsOf = (method: string, route: string, status: number) => {
    const key = method + route + status;
    let child = children.get(key);
    if (!child) {
      const labels = [method, route, String(status)] as const;
      child = { count: metrics.httpRequests.labels(...labels), duration: metrics.httpDuration.labels(...labels) };
      children.set(key, child);
    }
    return child;
  };
  return function record({ method, route, status, durationMs, requestId, userId }, child) {
    const m = metricsOf(method, route, status);
    m.count.inc();
    m.duration.observe(durationMs / 1000);
    const line = { method, route, status, durationMs: Math.round(durationMs * 100) / 100, userId };
    // Without a child logger the request id goes in the line itself, where the child would put it.
    const [target, fields] = child ? [child, line] : [log, { requestId, ...line }];
    if (status >= 500) target.error(fields, "request");
    else target.info(fields, "request");
  };
}

/** The request id to use: the client's X-Request-Id when it is a sane id, else a new UUID. */
export function requestIdOf(given: string): string {
  return REQUEST_ID_RE.test(given) ? given : randomUUID();
}

/** Sets ctx.state (a RequestState) and logs the outcome with the request's metrics. */
export function requestLog(log: Logger, metrics: Metrics) {
  const record = requestRecorder(log, metrics);
  return async function requestLog(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(ctx.get("x-request-id"));
    ctx.set("X-Request-Id", requestId);
    const state = new RequestState(log, requestId);
    ctx.state = state;
    try {
      await next();
    } finally {
      const outcome = {
        method: ctx.method,
        route: routeTemplate(ctx),
        status: ctx.status,
        durationMs: performance.now() - started,
        requestId,
        userId: state.auth?.userId ?? state.userId,
      };
      record(outcome, state.madeLog);
    }
  };
}
