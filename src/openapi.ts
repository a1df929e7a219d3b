/**
 * GET /openapi.json: an OpenAPI 3.1 document of every route, generated from the zod schemas the
 * routes validate with (request bodies) and the response schemas in routes/responses.ts.
 * A test checks that every registered route is documented here.
 */
import type Router from "@koa/router";
import { z } from "zod";
import { OPERATOR_ROUTES } from "./openapiOperatorRoutes.js";
import { loginBody } from "./routes/auth/schema.js";
import { updateMeBody } from "./routes/me/schema.js";
import * as r from "./routes/responses.js";
import { createRouter } from "./routes/router.js";
import { decryptBody, phoneBody, verifySignatureBody } from "./routes/wechat/schema.js";

export type Auth = "none" | "session" | "admin" | "metrics" | "service";

/** One documented operation. `errors` lists error codes by status. */
export interface RouteDoc {
  method: "get" | "post" | "patch" | "delete";
  /** Koa path, e.g. /admin/users/:userId/sessions */
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  status: number;
  response?: z.ZodType;
  errors?: Record<number, string[]>;
}

const SESSION_ERRORS = { 401: ["TOKEN_MISSING", "TOKEN_INVALID"], 503: ["SERVICE_UNAVAILABLE"] };

export const ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/healthz",
    summary: "Liveness: the process is up; touches nothing",
    auth: "none",
    status: 200,
    response: r.healthResponse,
  },
  {
    method: "get",
    path: "/readyz",
    summary: "Readiness: Redis and PostgreSQL answer and not shutting down",
    auth: "none",
    status: 200,
    response: r.readyResponse,
    errors: { 503: [] },
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (text format)",
    auth: "metrics",
    status: 200,
    errors: { 401: ["METRICS_UNAUTHORIZED"], 404: ["NOT_FOUND"] },
  },
  { method: "get", path: "/openapi.json", summary: "This document", auth: "none", status: 200 },
  {
    method: "post",
    path: "/auth/login",
    summary: "Log in with a wx.login code",
    auth: "none",
    body: loginBody,
    status: 200,
    response: r.loginResponse,
    errors: {
      400: ["INVALID_REQUEST", "APP_UNKNOWN"],
      401: ["WECHAT_CODE_INVALID"],
      403: ["WECHAT_USER_BLOCKED", "USER_BANNED"],
      413: ["PAYLOAD_TOO_LARGE"],
      415: ["UNSUPPORTED_MEDIA_TYPE"],
      429: ["RATE_LIMITED"],
      502: ["WECHAT_UNAVAILABLE"],
      503: ["SERVICE_UNAVAILABLE"],
    },
  },
  {
    method: "get",
    path: "/auth/session",
    summary: "The caller's session, from Redis alone",
    auth: "session",
    status: 200,
    response: r.sessionResponse,
    errors: SESSION_ERRORS,
  },
  {
    method: "get",
    path: "/auth/verify",
    summary:
      "Forward auth for a gateway or backend (GET or HEAD): 200 with X-Tongxing-User-Id, X-Tongxing-Session-Id and X-Tongxing-Appid (and, with X-Tongxing-Service-Token, X-Tongxing-Openid and X-Tongxing-Unionid); refusals carry X-Tongxing-Error",
    auth: "session",
    status: 200,
    response: r.verifyResponse,
    errors: { 401: ["TOKEN_MISSING", "TOKEN_INVALID", "SERVICE_UNAUTHORIZED"], 503: ["SERVICE_UNAVAILABLE"] },
  },
  { method: "post", path: "/auth/logout", summary: "Revoke the caller's session", auth: "session", status: 204, errors: SESSION_ERRORS },
  {
    method: "get",
    path: "/auth/sessions",
    summary: "The caller's sessions, newest first",
    auth: "session",
    status: 200,
    response: r.ownSessionList,
    errors: SESSION_ERRORS,
  },
  {
    method: "delete",
    path: "/auth/sessions/:sessionId",
    summary: "Revoke one of the caller's sessions",
    auth: "session",
    status: 204,
    errors: { ...SESSION_ERRORS, 404: ["SESSION_NOT_FOUND"] },
  },
  {
    method: "post",
    path: "/auth/logout-others",
    summary: "Revoke all the caller's sessions but this one",
    auth: "session",
    status: 200,
    response: r.revokedCount,
    errors: SESSION_ERRORS,
  },
  {
    method: "get",
    path: "/me",
    summary: "The caller's user",
    auth: "session",
    status: 200,
    response: r.userResponse,
    errors: SESSION_ERRORS,
  },
  {
    method: "patch",
    path: "/me",
    summary: "Update the caller's profile",
    auth: "session",
    body: updateMeBody,
    status: 200,
    response: r.userResponse,
    errors: { ...SESSION_ERRORS, 400: ["INVALID_REQUEST"], 415: ["UNSUPPORTED_MEDIA_TYPE"] },
  },
  {
    method: "delete",
    path: "/me",
    summary: "Delete the caller's account: every session revoked, identities and profile gone, the id never reused",
    auth: "session",
    status: 204,
    errors: SESSION_ERRORS,
  },
  {
    method: "post",
    path: "/me/phone",
    summary: "Bind the phone number from a getPhoneNumber button code",
    auth: "session",
    body: phoneBody,
    status: 200,
    response: r.userResponse,
    errors: {
      ...SESSION_ERRORS,
      400: ["INVALID_REQUEST", "PHONE_CODE_INVALID", "APP_UNKNOWN"],
      429: ["RATE_LIMITED"],
      502: ["WECHAT_UNAVAILABLE"],
    },
  },
  {
    method: "post",
    path: "/wechat/decrypt",
    summary: "Decrypt encryptedData with the session's session_key and check its watermark",
    auth: "session",
    body: decryptBody,
    status: 200,
    response: r.decryptResponse,
    errors: {
      ...SESSION_ERRORS,
      400: ["INVALID_REQUEST", "DECRYPT_FAILED", "WATERMARK_MISMATCH", "WATERMARK_EXPIRED"],
      409: ["SESSION_KEY_STALE"],
    },
  },
  {
    method: "post",
    path: "/wechat/verify-signature",
    summary: "Check sha1(rawData + session_key)",
    auth: "session",
    body: verifySignatureBody,
    status: 200,
    response: r.validResponse,
    errors: { ...SESSION_ERRORS, 400: ["INVALID_REQUEST"], 409: ["SESSION_KEY_STALE"] },
  },
  {
    method: "get",
    path: "/wechat/session",
    summary: "Ask WeChat whether the session_key is still valid",
    auth: "session",
    status: 200,
    response: r.validResponse,
    errors: { ...SESSION_ERRORS, 400: ["APP_UNKNOWN"], 429: ["RATE_LIMITED"], 502: ["WECHAT_UNAVAILABLE"] },
  },
  ...OPERATOR_ROUTES,
];

const SECURITY: Record<Auth, Record<string, string[]>[] | undefined> = {
  none: undefined,
  session: [{ wxToken: [] }, { bearerToken: [] }],
  admin: [{ adminToken: [] }],
  metrics: [{}, { metricsToken: [] }],
  service: [{ serviceToken: [] }],
};

const json = (schema: z.ZodType) => ({ "application/json": { schema: z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) } });

/** Builds the document. */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const responses: Record<string, unknown> = {
      [route.status]: { description: "Success", ...(route.response && { content: json(route.response) }) },
    };
    for (const [status, codes] of Object.entries(route.errors ?? {})) {
      responses[status] = {
        description: codes.length ? `Error codes: ${codes.join(", ")}` : "Unavailable",
        content: json(r.errorResponse),
      };
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method] = {
      summary: route.summary,
      ...(params.length && { parameters: params }),
      ...(route.body && { requestBody: { required: true, content: json(route.body) } }),
      ...(SECURITY[route.auth] && { security: SECURITY[route.auth] }),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "tongxing", version: "0.1.0", description: "WeChat Mini Program login and sessions." },
    paths,
    components: {
      securitySchemes: {
        wxToken: { type: "apiKey", in: "header", name: "X-WX-Token", description: "The session token (header name set by TOKEN_HEADER)" },
        bearerToken: { type: "http", scheme: "bearer", description: "The session token as Authorization: Bearer" },
        adminToken: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
        metricsToken: { type: "http", scheme: "bearer", description: "METRICS_TOKEN, when set" },
        serviceToken: { type: "apiKey", in: "header", name: "X-Tongxing-Service-Token", description: "SERVICE_TOKEN" },
      },
    },
  };
}

export function openapiRoutes(): Router {
  const router = createRouter();
  const doc = buildOpenApi();
  router.get("/openapi.json", function openapi(ctx) {
    ctx.body = doc;
  });
  return router;
}
