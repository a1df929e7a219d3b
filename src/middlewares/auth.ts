/**
 * Session authentication: resolves the token from the configured header (default X-WX-Token)
 * or `Authorization: Bearer <token>` in one Redis round trip, and sets `ctx.state.auth`.
 * Nothing else writes ctx.state.auth. The token itself is not kept on the context, so it
 * cannot end up in a log line.
 */
import type { Context, Next } from "koa";
import { readToken } from "../../verifier/src/readToken.js";
import type { SessionRecord } from "../../verifier/src/record.js";
import { isEnd } from "../../verifier/src/resolveSession.js";
import type { SessionEnd } from "../../verifier/src/sessionEnd.js";

const UNKNOWN: SessionEnd = Object.freeze({ reason: "UNKNOWN" });

import { serviceUnavailable, tokenInvalid, tokenMissing } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Sessions } from "../sessions/sessions.js";

// Where a token is read from is the library's rule too (verifier/src/readToken.ts).
export { readBearer, readToken } from "../../verifier/src/readToken.js";

/** What authenticated routes read: the caller's user and session. */
export interface AuthState {
  userId: number;
  session: SessionRecord;
}

/**
 * Middleware requiring a live session.
 * @param header - lower-cased TOKEN_HEADER
 * @throws AppError 401 TOKEN_MISSING, 401 TOKEN_INVALID (with the reason: sessionEnd.ts), 503 SERVICE_UNAVAILABLE (Redis down:
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
    let session: SessionRecord | SessionEnd;
    try {
      session = token ? await sessions.check(token) : UNKNOWN;
    } catch (err) {
      outcome.unavailable.inc();
      throw serviceUnavailable(err);
    }
    if (isEnd(session)) {
      outcome.invalid.inc();
      throw tokenInvalid(session);
    }
    outcome.valid.inc();
    ctx.state.auth = { userId: session.userId, session } satisfies AuthState;
    await next();
  };
}
