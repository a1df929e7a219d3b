/**
 * Request validation with zod. A route's schema is the single description of its input (the
 * OpenAPI document is generated from the same schemas).
 */
import type { Context, Next } from "koa";
import type { z } from "zod";
import { invalidRequest, unsupportedMediaType } from "../errors.js";

/** Describes the first problem of a failed parse in one sentence, naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "The request is invalid.";
  const where = issue.path.length ? issue.path.join(".") : "body";
  return `${where}: ${issue.message}`;
}

/**
 * Parses `ctx.request.body` with `schema` and puts the result in `ctx.state.body`.
 * @throws AppError 415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON; 400 INVALID_REQUEST
 */
export function validateBody<S extends z.ZodType>(schema: S) {
  return async function validateBody(ctx: Context, next: Next): Promise<void> {
    // A POST with `Content-Length: 0` has no body to judge (fetch sends one for body-less POSTs).
    const hasBody = ctx.request.length ? ctx.request.length > 0 : Boolean(ctx.get("transfer-encoding"));
    if (hasBody && !ctx.is("application/json")) {
      throw unsupportedMediaType();
    }
    const parsed = schema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw invalidRequest(describeIssue(parsed.error));
    ctx.state.body = parsed.data;
    await next();
  };
}
