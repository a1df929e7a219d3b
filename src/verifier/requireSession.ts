/**
 * requireSession: Koa middleware for a business API that uses tongxing's sessions through the
 * library. Answers as tongxing does (the same JSON error bodies, so the mini-program SDK's
 * re-login works), and gives the handler `ctx.state.session`.
 */
import type { Next, ParameterizedContext } from "koa";
import { type AppError, serviceUnavailable, tokenInvalid, tokenMissing } from "../errors.js";
import { readToken } from "../middlewares/auth.js";
import { renderError } from "../middlewares/errorHandler.js";
import type { SessionVerifier, VerifiedSession } from "./sessionVerifier.js";

/** Options of requireSession. */
export interface RequireSessionOptions {
  /** The header the token comes in besides Authorization: Bearer: tongxing's TOKEN_HEADER. Default "X-WX-Token". */
  tokenHeader?: string;
}

/** What requireSession puts on `ctx.state`. */
export interface SessionState {
  session: VerifiedSession;
}

/**
 * Middleware requiring a live tongxing session. Refusals are answered here, not thrown: 401
 * TOKEN_MISSING, 401 TOKEN_INVALID, 503 SERVICE_UNAVAILABLE (Redis could not be asked: a token
 * that could not be checked is never let through), each as `{"error": {"code", "message"}}`.
 * On success `ctx.state.session = { userId, sessionId, openid, unionid, expiresAt }`.
 */
export function requireSession(verifier: SessionVerifier, options: RequireSessionOptions = {}) {
  const header = (options.tokenHeader ?? "X-WX-Token").toLowerCase();
  return async function requireSession(ctx: ParameterizedContext<SessionState>, next: Next): Promise<void> {
    const refusal = await check(ctx);
    if (refusal) return renderError(ctx, refusal);
    await next();
  };

  async function check(ctx: ParameterizedContext<SessionState>): Promise<AppError | null> {
    const token = readToken(ctx, header);
    if (token === null) return tokenMissing(header);
    let session: VerifiedSession | null;
    try {
      session = await verifier.verify(token);
    } catch {
      return serviceUnavailable();
    }
    if (!session) return tokenInvalid();
    ctx.state.session = session;
    return null;
  }
}
