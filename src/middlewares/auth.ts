/**
 * Session authentication: resolves the token from the configured header (default X-WX-Token)
 * or `Authorization: Bearer <token>` in one Redis round trip, and sets `ctx.state.auth`.
 * Nothing else writes ctx.state.auth. The token itself is not kept on the context, so it
 * cannot end up in a log line.
 */
import type { Context, Next } from "koa";
import { serviceUnavailable, tokenInvalid, tokenMissing } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import type { SessionRecord } from "../sessions/record.js";
import type { Sessions } from "../sessions/sessions.js";

/** What authenticated routes read: the caller's user and session. */
export interface AuthState {
  userId: number;
  session: SessionRecord;
}

// The auth-scheme is case-insensitive and followed by one or more spaces (RFC 9110 §11.1, §11.4).
const BEARER_RE = /^bearer +([\x21-\x7e]{1,512})$/i;
const MAX_TOKEN_LENGTH = 512;

/**
 * Reads the token from the request.
 * @returns the token, null when none was sent, or "" when one was sent but cannot be a token
 */
export function readToken(ctx: Context, header: string): string | null {
  const direct = ctx.get(header);
  if (direct) return direct.length <= MAX_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(direct) ? direct : "";
  if (!ctx.get("authorization")) return null;
  return readBearer(ctx) ?? "";
}

/**
 * The credential of `Authorization: Bearer <credential>` (printable ASCII, at most 512
 * characters), for session, admin and metrics tokens alike.
 * @returns undefined when the header is missing or not of that form
 */
export function readBearer(ctx: Context): string | undefined {
  return BEARER_RE.exec(ctx.get("authorization"))?.[1];
}

/**
 * Middleware requiring a live session.
 * @param header - lower-cased TOKEN_HEADER
 * @throws AppError 401 TOKEN_MISSING, 401 TOKEN_INVALID, 503 SERVICE_UNAVAILABLE (Redis down:
 *   a token that could not be checked is never let through)
 */
export function authenticate(sessions: Sessions, header: string, metrics: Metrics) {
  const outcome = metrics.resolution;
  return async function authenticate(ctx: Context, next: Next): Promise<void> {
    const token = readToken(ctx, header);
    if (token === null) {
      outcome.missing.inc();
      throw tokenMissing(header);
    }
    let session: SessionRecord | null;
    try {
      session = token ? await sessions.resolve(token) : null;
    } catch (err) {
      outcome.unavailable.inc();
      throw serviceUnavailable(err);
    }
    if (!session) {
      outcome.invalid.inc();
      throw tokenInvalid();
    }
    outcome.valid.inc();
    ctx.state.auth = { userId: session.userId, session } satisfies AuthState;
    await next();
  };
}
