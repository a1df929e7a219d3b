/**
 * Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time
 * (OWASP ASVS V2.10/V6.2: compare secrets without a timing side channel). Both sides are hashed
 * first so that the comparison does not leak the token's length either. With no ADMIN_TOKEN
 * configured the admin routes do not exist (404), rather than exist with no protection.
 */
import { hash, timingSafeEqual } from "node:crypto";
import type { Context, Next } from "koa";
import { adminUnauthorized, notFound, serviceUnauthorized } from "../errors.js";
import { readBearer } from "./auth.js";

// One-shot crypto.hash: half the CPU of createHash (verifier/src/token.ts), on every service-caller check.
const digest = (s: string) => hash("sha256", s, "buffer");

/** True when `given` is the secret whose digest is `expectedDigest`, compared in constant time. */
export function secretMatches(given: string | undefined, expectedDigest: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), expectedDigest);
}

/** True when the request carries `Authorization: Bearer <secret>`, compared in constant time. */
export function bearerMatches(ctx: Context, expectedDigest: Buffer): boolean {
  return secretMatches(readBearer(ctx), expectedDigest);
}

/** The digest bearerMatches compares against. */
export const secretDigest = digest;

/** Middleware for /admin routes. @throws AppError 404 NOT_FOUND (admin API off), 401 ADMIN_UNAUTHORIZED */
export function requireAdmin(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async function requireAdmin(ctx: Context, next: Next): Promise<void> {
    if (!expected) throw notFound();
    if (!bearerMatches(ctx, expected)) throw adminUnauthorized();
    await next();
  };
}

/**
 * Middleware for /internal routes: `X-Tongxing-Service-Token` equal to SERVICE_TOKEN, compared in
 * constant time. @throws AppError 404 NOT_FOUND (SERVICE_TOKEN unset), 401 SERVICE_UNAUTHORIZED
 */
export function requireService(serviceToken: string | undefined) {
  const expected = serviceToken === undefined ? undefined : digest(serviceToken);
  return async function requireService(ctx: Context, next: Next): Promise<void> {
    if (!expected) throw notFound();
    if (!secretMatches(ctx.get("x-tongxing-service-token") || undefined, expected)) throw serviceUnauthorized();
    await next();
  };
}

/**
 * Guards every path under /admin (the admin token) and /internal (the service token) before
 * CORS, body parsing and routing, so that no method shows those APIs: switched off, `OPTIONS` or
 * a wrong method is 404 like any other; switched on, they are 401 without the token (ASVS
 * V4.1.3: the check runs on every path to the function; router-level guards run only once a
 * route matched path and method).
 */
export function adminGate(adminToken: string | undefined, serviceToken?: string) {
  const admin = requireAdmin(adminToken);
  const service = requireService(serviceToken);
  const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  return async function adminGate(ctx: Context, next: Next): Promise<void> {
    // The console's static page loads without the token (it asks for it); like the API, it
    // exists only while ADMIN_TOKEN is set.
    if (under(ctx.path, "/admin/console")) {
      if (adminToken === undefined) throw notFound();
      return next();
    }
    if (under(ctx.path, "/admin")) return admin(ctx, next);
    if (under(ctx.path, "/internal")) return service(ctx, next);
    return next();
  };
}
