/**
 * The security headers of a JSON API, as helmet sets them (its defaults: a CSP that forbids
 * everything a browser could do with our answers, nosniff, HSTS, frame-ancestors, COOP/CORP,
 * referrer policy, ...), computed once at start instead of by helmet's thirteen middleware on
 * every request: they depend on nothing in the request. Measured per request in
 * docs/performance.md.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import helmet from "helmet";
import type { Context, Next } from "koa";

/** The headers helmet() sets on a response, in order. */
export function helmetHeaders(): [string, string][] {
  const headers: [string, string][] = [];
  const res = {
    setHeader(name: string, value: unknown) {
      headers.push([name, String(value)]);
    },
    removeHeader() {},
  };
  let done = false;
  helmet()({} as IncomingMessage, res as unknown as ServerResponse, () => {
    done = true;
  });
  // helmet's middleware is synchronous; if a version ever was not, the headers would be missing.
  if (!done) throw new Error("helmet did not finish synchronously");
  return headers;
}

/** Sets helmet's headers on every response. */
export function securityHeaders() {
  const headers = helmetHeaders();
  return function securityHeaders(ctx: Context, next: Next): Promise<void> {
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
    return next();
  };
}
