/**
 * The one place errors become responses: `{"error": {"code", "message"}}` with the status of
 * the AppError. Body-parser errors (malformed JSON, too large) are mapped to their codes, and a
 * Redis or PostgreSQL that cannot be reached (clients/backendErrors.ts) to 503 SERVICE_UNAVAILABLE;
 * anything else is a 500 INTERNAL_ERROR whose details go to the log only (OWASP ASVS V7.4.1:
 * generic messages, no stack traces to clients).
 */
import type { Context, Next } from "koa";
import { isBackendUnavailable } from "../clients/backendErrors.js";
import {
  AppError,
  internalError,
  invalidRequest,
  methodNotAllowed,
  notFound,
  serviceUnavailable,
  unsupportedMediaType,
} from "../errors.js";

/** An error with an HTTP status from a library (co-body, http-errors). */
function libraryError(err: unknown): AppError | null {
  const status = (err as { status?: unknown })?.status;
  if (typeof status !== "number" || status < 400 || status >= 500) return null;
  if (status === 413) return new AppError(413, "PAYLOAD_TOO_LARGE", "The request body is too large.");
  if (status === 415) return unsupportedMediaType();
  if (status === 400 && /prototype/i.test((err as Error).message)) {
    return invalidRequest("The request body must not contain a __proto__ or constructor.prototype key.");
  }
  if (status === 400) return invalidRequest("The request body is not valid JSON.");
  return null;
}

/** Renders an AppError onto the response. */
export function renderError(ctx: Context, err: AppError): void {
  ctx.status = err.status;
  ctx.set(err.headers);
  ctx.body = { error: { code: err.code, message: err.message, ...err.details } };
}

/** The outermost application middleware: catches, renders, and logs unexpected errors. */
export function errorHandler() {
  return async function errorHandler(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) renderError(ctx, notFound());
        // The router's bare 405, or 501 for a method no route knows (TRACE, PROPFIND...): the
        // client's mistake either way, 405 with the router's Allow header.
        else if (ctx.status === 405 || ctx.status === 501) renderError(ctx, methodNotAllowed());
      }
    } catch (err) {
      const known = err instanceof AppError ? err : (libraryError(err) ?? (isBackendUnavailable(err) ? serviceUnavailable(err) : null));
      if (known) {
        const cause = (err as { cause?: unknown }).cause;
        if (cause) ctx.state.log?.error({ err: cause }, `${known.code}: caused by`);
        renderError(ctx, known);
      } else {
        ctx.state.log?.error({ err }, "unhandled error");
        renderError(ctx, internalError());
      }
    }
  };
}
