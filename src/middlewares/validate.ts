/**
 * Request validation with zod. A route's schema is the single description of its input (the
 * OpenAPI document is generated from the same schemas).
 */
import type { Context, Next } from "koa";
import type { z } from "zod";
import { invalidRequest, unsupportedMediaType } from "../errors.js";

/** "a string", "an object", "an array", "null", ... for a value's JSON type (never the value). */
function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  object: "an object",
  array: "an array",
  string: "a string",
  number: "a number",
  boolean: "true or false",
  int: "a whole number",
};

/**
 * Describes the first problem of a failed parse in one sentence: which field, what was expected
 * and (by type, never the value) what came. Schemas' own messages ("must be at most 128
 * characters") are kept; zod's generic type errors are put in those words.
 */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "The request is invalid.";
  const where = issue.path.length ? issue.path.join(".") : "body";
  if (issue.code === "invalid_type") {
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    const input = (issue as { input?: unknown }).input;
    if (input === undefined) return `${where}: required, ${expected}.`;
    return `${where}: must be ${expected}, not ${kind(input)}.`;
  }
  if (issue.code === "unrecognized_keys") return `${where}: unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}.`;
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
    // reportInput: the type of what came is named in the message (the value never is).
    const parsed = schema.safeParse(ctx.request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw invalidRequest(describeIssue(parsed.error));
    ctx.state.body = parsed.data;
    await next();
  };
}
