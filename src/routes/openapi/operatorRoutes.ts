/**
 * The OpenAPI entries of the operators' routes: the admin API and the internal access_token API.
 * openapi.ts builds the document from these and the public routes (publicRoutes.ts).
 */
import { PLATFORMS } from "../../platforms/types.js";
import { banBody, restrictionBody } from "../admin/schema.js";
import { invalidateBody } from "../internal/schema.js";
import * as r from "../responses.js";
import type { RouteDoc } from "./routeDoc.js";

const ADMIN_ERRORS = {
  400: ["INVALID_REQUEST"],
  401: ["ADMIN_UNAUTHORIZED"],
  404: ["USER_NOT_FOUND", "NOT_FOUND"],
  503: ["SERVICE_UNAVAILABLE"],
};

export const OPERATOR_ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/admin/console",
    summary: "The admin console's page (HTML; it asks for the admin token and calls the admin API); 404 without ADMIN_TOKEN",
    auth: "none",
    status: 200,
    errors: { 404: ["NOT_FOUND"] },
  },
  {
    method: "get",
    path: "/admin/console/:file",
    summary: "The admin console's script and style (console.js, console.css)",
    auth: "none",
    status: 200,
    errors: { 404: ["NOT_FOUND"] },
  },
  {
    method: "get",
    path: "/admin/overview",
    summary: "The last hour per minute, all instances: logins by outcome, WeChat errors by errcode, session checks by outcome",
    auth: "admin",
    status: 200,
    response: r.overviewResponse,
    errors: { 401: ["ADMIN_UNAUTHORIZED"], 503: ["SERVICE_UNAVAILABLE"] },
  },
  {
    method: "get",
    path: "/admin/apps",
    summary: "The configured mini-programs: appid, platform and name (APPS' or WECHAT_APPS' name, else the appid); never a secret",
    auth: "admin",
    status: 200,
    response: r.appList,
    errors: { 401: ["ADMIN_UNAUTHORIZED"] },
  },
  {
    method: "get",
    path: "/admin/audit",
    summary: "The audit trail, newest first: ?userId=, ?action=, ?before= (cursor: the previous page's next), ?limit= (1-200, default 50)",
    auth: "admin",
    status: 200,
    response: r.auditPage,
    errors: { 400: ["INVALID_REQUEST"], 401: ["ADMIN_UNAUTHORIZED"], 503: ["SERVICE_UNAVAILABLE"] },
  },
  {
    method: "get",
    path: "/admin/users",
    summary: `Users, newest first, paged by ?limit= (1-200, default 50) and ?cursor= (the previous page's next); ?nickname= narrows to a case-insensitive nickname prefix, ?platform= (${PLATFORMS.join(", ")}) to users with an identity of that platform, either or both; or exactly one of ?openid=, ?unionid=, ?phone= (exact match, at most 50, no paging, no ?platform=)`,
    auth: "admin",
    status: 200,
    response: r.adminUserList,
    errors: ADMIN_ERRORS,
  },
  {
    method: "get",
    path: "/admin/users/:userId",
    summary: "A user with their identities (id, platform, appid, openid, unionid)",
    auth: "admin",
    status: 200,
    response: r.adminUser,
    errors: ADMIN_ERRORS,
  },
  {
    method: "delete",
    path: "/admin/users/:userId",
    summary: "Delete a user's account, as DELETE /me does",
    auth: "admin",
    status: 204,
    errors: ADMIN_ERRORS,
  },
  {
    method: "get",
    path: "/admin/users/:userId/sessions",
    summary: "A user's sessions, newest first",
    auth: "admin",
    status: 200,
    response: r.adminSessionList,
    errors: ADMIN_ERRORS,
  },
  {
    method: "delete",
    path: "/admin/sessions/:sessionId",
    summary: "Revoke one session",
    auth: "admin",
    status: 204,
    errors: { ...ADMIN_ERRORS, 404: ["SESSION_NOT_FOUND", "NOT_FOUND"] },
  },
  {
    method: "delete",
    path: "/admin/users/:userId/sessions",
    summary: "Revoke every session of a user",
    auth: "admin",
    status: 200,
    response: r.revokedCount,
    errors: ADMIN_ERRORS,
  },
  {
    method: "post",
    path: "/admin/users/:userId/ban",
    summary: "Ban a user: revoke every session, refuse logins; with until, only until then (it lifts itself)",
    auth: "admin",
    body: banBody,
    status: 200,
    response: r.banResponse,
    errors: ADMIN_ERRORS,
  },
  {
    method: "delete",
    path: "/admin/users/:userId/ban",
    summary: "Lift a ban",
    auth: "admin",
    status: 200,
    response: r.banResponse,
    errors: ADMIN_ERRORS,
  },
  {
    method: "post",
    path: "/admin/users/:userId/restrictions",
    summary:
      "Restrict a user (a partial ban: the team's own name, such as comment): sessions stay, and every session check carries it; replaces one of the same name; at most 16",
    auth: "admin",
    body: restrictionBody,
    status: 200,
    response: r.restrictionList,
    errors: { ...ADMIN_ERRORS, 409: ["TOO_MANY_RESTRICTIONS"] },
  },
  {
    method: "delete",
    path: "/admin/users/:userId/restrictions/:name",
    summary: "Lift a restriction",
    auth: "admin",
    status: 200,
    response: r.restrictionList,
    errors: { ...ADMIN_ERRORS, 404: ["USER_NOT_FOUND", "RESTRICTION_NOT_FOUND"] },
  },
  {
    method: "get",
    path: "/internal/wechat/access-token",
    summary:
      "The mini-program's shared access_token for the team's other backends (?appid=, optional with one app); 404 without SERVICE_TOKEN",
    auth: "service",
    status: 200,
    response: r.accessTokenResponse,
    errors: {
      400: ["APP_UNKNOWN"],
      401: ["SERVICE_UNAUTHORIZED"],
      429: ["RATE_LIMITED"],
      502: ["WECHAT_UNAVAILABLE"],
      503: ["SERVICE_UNAVAILABLE"],
    },
  },
  {
    method: "post",
    path: "/internal/wechat/access-token/invalidate",
    summary: "Hand back an access_token WeChat rejected (40001/42001); dropped only if it is still the cached one",
    auth: "service",
    body: invalidateBody,
    status: 204,
    errors: { 400: ["INVALID_REQUEST", "APP_UNKNOWN"], 401: ["SERVICE_UNAUTHORIZED"], 429: ["RATE_LIMITED"], 503: ["SERVICE_UNAVAILABLE"] },
  },
];
