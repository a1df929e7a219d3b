/**
 * createRouter: how every router of tongxing is made, so that a route and its router's guards
 * always agree on which paths they match.
 */
import Router from "@koa/router";
import type { AppState } from "../state.js";

/**
 * A router whose routes match paths case-sensitively, as its router-level middleware does.
 * @koa/router (15.x) compiles a prefixed `router.use()` middleware, such as the admin-token or
 * session guard, as a case-sensitive RegExp, while routes default to case-insensitive: with the
 * default, `GET /ADMIN/users/1/sessions` reached the admin route without passing the guard
 * (OWASP ASVS V4.1.3 — access control enforced on every path to the function).
 * @param prefix - the path every route of this router starts with, e.g. "/admin"
 */
export function createRouter(prefix?: string): Router<AppState> {
  return new Router<AppState>({ sensitive: true, ...(prefix && { prefix }) });
}
