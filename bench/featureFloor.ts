/**
 * Bench-only: the feature floor. What a Koa app pays for tongxing's per-request features alone,
 * written as leanly as the same libraries allow, with no session check: a request id (taken from
 * `X-Request-Id` when sane, else a random UUID), the security headers, a try/catch error
 * handler, the two labelled HTTP metrics (prom-client, children resolved once) and one JSON log
 * line per request (pino, tongxing's logger options and its log batching), and the response held until after the
 * turn's I/O as tongxing's is (verifier/src/eventLoop.ts), in one middleware; then @koa/router holding
 * every route of tongxing's OpenAPI table, each answering `{"status":"ok"}`.
 *
 * Set beside bare Koa (bench/bareServer.ts) and tongxing's own /healthz, it splits the
 * "÷ bare Koa" ratio into what the features cost with these libraries and what tongxing adds on top.
 */
import { randomUUID } from "node:crypto";
import Koa from "koa";
import { createLogger } from "../src/log.js";
import { batchedStdout } from "../src/logBatching.js";
import { Metrics } from "../src/metrics/metrics.js";
import { SECURITY_HEADERS } from "../src/middlewares/securityHeaders.js";
import { ROUTES } from "../src/routes/openapi/openapi.js";
import { OPERATOR_ROUTES } from "../src/routes/openapi/operatorRoutes.js";
import { createRouter } from "../src/routes/router.js";
import { afterIo } from "../verifier/src/eventLoop.js";
import { announce, PORT } from "./peers/listen.js";

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const log = createLogger(process.env.LOG_LEVEL ?? "info", batchedStdout());
const metrics = new Metrics();
const children = new Map<string, { count: { inc(): void }; duration: { observe(seconds: number): void } }>();

const app = new Koa();
app.silent = true;
app.use(async function features(ctx, next) {
  const started = performance.now();
  const given = ctx.get("x-request-id");
  const requestId = REQUEST_ID_RE.test(given) ? given : randomUUID();
  const res = ctx.res;
  res.setHeader("X-Request-Id", requestId);
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  try {
    await next();
    await afterIo();
  } catch (err) {
    ctx.status = 500;
    ctx.body = { error: { code: "INTERNAL", message: String(err) } };
  }
  const durationMs = performance.now() - started;
  const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? "unmatched";
  const key = `${ctx.method} ${route} ${ctx.status}`;
  let child = children.get(key);
  if (!child) {
    const labels = [ctx.method, route, String(ctx.status)] as const;
    child = { count: metrics.httpRequests.labels(...labels), duration: metrics.httpDuration.labels(...labels) };
    children.set(key, child);
  }
  child.count.inc();
  child.duration.observe(durationMs / 1000);
  log.info({ requestId, method: ctx.method, route, status: ctx.status, durationMs: Math.round(durationMs * 100) / 100 }, "request");
});
const router = createRouter();
for (const { method, path } of [...ROUTES, ...OPERATOR_ROUTES]) {
  router[method](path, (ctx) => {
    ctx.body = { status: "ok" };
  });
}
app.use(router.routes());
app.use(router.allowedMethods());

announce(app.listen(PORT, "127.0.0.1"));
