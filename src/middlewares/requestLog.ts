/**
 * One JSON log line per request: method, route, status, duration (ms), request id and userId.
 * The URL is logged without its query string, and no header is logged, so no token can reach
 * the log through here. `X-Request-Id` is taken from the client when it is a sane id, else made
 * up, and echoed back.
 */
import { randomUUID } from "node:crypto";
import type { Context, Next } from "koa";
import type { Logger } from "pino";
import type { Metrics } from "../metrics.js";

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
 * Sets ctx.state.log (a child logger with the request id, made on first use: most requests log
 * nothing but their line) and logs the outcome, with the request's metrics.
 */
export function requestLog(log: Logger, metrics: Metrics) {
  // The labelled children of the two HTTP metrics, resolved once per method, route and status
  // (a bounded set: route templates, not paths) instead of on every request.
  const children = new Map<string, { count: { inc(): void }; duration: { observe(seconds: number): void } }>();
  const metricsOf = (method: string, route: string, status: string) => {
    const key = `${method} ${route} ${status}`;
    let child = children.get(key);
    if (!child) {
      child = { count: metrics.httpRequests.labels(method, route, status), duration: metrics.httpDuration.labels(method, route, status) };
      children.set(key, child);
    }
    return child;
  };
  return async function requestLog(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const given = ctx.get("x-request-id");
    const requestId = REQUEST_ID_RE.test(given) ? given : randomUUID();
    ctx.set("X-Request-Id", requestId);
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, "log", {
      get: () => {
        child ??= log.child({ requestId });
        return child;
      },
      enumerable: true,
    });
    try {
      await next();
    } finally {
      const durationMs = performance.now() - started;
      const route = routeTemplate(ctx);
      const m = metricsOf(ctx.method, route, String(ctx.status));
      m.count.inc();
      m.duration.observe(durationMs / 1000);
      const line = {
        method: ctx.method,
        route,
        status: ctx.status,
        durationMs: Math.round(durationMs * 100) / 100,
        userId: ctx.state.auth?.userId ?? ctx.state.userId,
      };
      // Without a child logger the request id goes in the line itself, where the child would put it.
      const [target, fields] = child ? [child, line] : [log, { requestId, ...line }];
      if (ctx.status >= 500) target.error(fields, "request");
      else target.info(fields, "request");
    }
  };
}
