/**
 * GET /openapi.json: an OpenAPI 3.1 document of every route, generated from the zod schemas the
 * routes validate with (request bodies) and the response schemas in routes/responses.ts.
 * A test checks that every registered route is documented here.
 */
import type Router from "@koa/router";
import { z } from "zod";
import * as r from "../responses.js";
import { createRouter } from "../router.js";
import { OPERATOR_ROUTES } from "./operatorRoutes.js";
import { PUBLIC_ROUTES } from "./publicRoutes.js";
import type { Auth, RouteDoc } from "./routeDoc.js";
import { WEBHOOK_ROUTES } from "./webhookRoutes.js";

/** Every documented operation. */
export const ROUTES: RouteDoc[] = [...PUBLIC_ROUTES, ...OPERATOR_ROUTES, ...WEBHOOK_ROUTES];

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
