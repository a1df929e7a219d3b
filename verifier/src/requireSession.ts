/**
 * requireSession: Koa middleware for a business API that uses tongxing's sessions through the
 * library. Answers as tongxing does (the same JSON error bodies, so the mini-program SDK's
 * re-login works), and gives the handler `ctx.state.session`.
 */
import type { Next, ParameterizedContext } from "koa";
import { readToken } from "./readToken.js";
import { type Refusal, refusalBody, serviceUnavailable, tokenInvalid, tokenMissing } from "./refusals.js";
import type { SessionEnd } from "./sessionEnd.js";
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
 * TOKEN_MISSING, 401 TOKEN_INVALID (with `reason`, and `bannedUntil`, `banReason` for a ban:
 * sessionEnd.ts), 503 SERVICE_UNAVAILABLE (Redis could not be asked: a token
 * that could not be checked is never let through), each as `{"error": {"code", "message"}}`.
 * On success `ctx.state.session = { userId, sessionId, openid, unionid, expiresAt }`.
 */
export function requireSession(verifier: SessionVerifier, options: RequireSessionOptions = {}) {
  const header = (options.tokenHeader ?? "X-WX-Token").toLowerCase();
  return async function requireSession(ctx: ParameterizedContext<SessionState>, next: Next): Promise<void> {
    const refusal = await check(ctx);
    if (refusal) {
      ctx.status = refusal.status;
      ctx.body = refusalBody(refusal);
      return;
    }
    await next();
  };

  async function check(ctx: ParameterizedContext<SessionState>): Promise<Refusal | null> {
    const token = readToken(ctx, header);
    if (token === null) return tokenMissing(header);
    let result: VerifiedSession | SessionEnd;
    try {
      result = await verifier.check(token);
    } catch {
      return serviceUnavailable();
    }
    if ("reason" in result) return tokenInvalid(result);
    ctx.state.session = result;
    return null;
  }
}
