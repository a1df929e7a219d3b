/**
 * The security headers of a JSON API, set on every response: the set the OWASP REST Security
 * Cheat Sheet ("Security Headers") gives for API responses, which is stricter than helmet's
 * browser-page defaults where they overlap (frame-ancestors 'none' and DENY, not 'self' and
 * SAMEORIGIN) and a third of their bytes, with `Cache-Control: no-store`. `Content-Type` is set
 * by Koa. The admin console's page replaces the CSP with its own (src/routes/admin/console.ts).
 * Constant, so nothing is computed per request.
 */
import type { Context, Next } from "koa";

/**
 * Name and value of each header, in order.
 * - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`: a JSON answer loads
 *   nothing and is framed by nobody (CSP Level 3).
 * - `Strict-Transport-Security` (RFC 6797): one year, subdomains too; browsers ignore it over
 *   plain HTTP, so it is harmless behind a TLS-terminating proxy.
 * - `X-Content-Type-Options: nosniff`: the declared JSON type is the type.
 * - `X-Frame-Options: DENY`: frame-ancestors for browsers without CSP.
 * - `Cache-Control: no-store`: responses carry tokens and personal data, so no cache may keep
 *   them (OWASP ASVS V8.2.1).
 */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["Strict-Transport-Security", "max-age=31536000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Cache-Control", "no-store"],
];

/**
 * Sets SECURITY_HEADERS on every response, and `Connection: close` once shutdown has begun (so
 * that clients move to another instance).
 * @param isShuttingDown - true once shutdown has begun
 */
export function securityHeaders(isShuttingDown: () => boolean) {
  return function securityHeaders(ctx: Context, next: Next): Promise<void> {
    for (const [name, value] of SECURITY_HEADERS) ctx.res.setHeader(name, value);
    if (isShuttingDown()) ctx.res.setHeader("Connection", "close");
    return next();
  };
}
