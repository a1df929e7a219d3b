/**
 * What the OpenAPI document (openapi.ts) says of one operation; the route lists in
 * publicRoutes.ts and operatorRoutes.ts are written in it.
 */
import type { z } from "zod";

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
