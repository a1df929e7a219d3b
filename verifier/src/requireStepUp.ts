/**
 * requireStepUp: Koa middleware for a business API route behind which a sensitive change lies
 * (a payment setting, a withdrawal): after requireSession, lets through only a session stepped up
 * recently (POST /auth/step-up: a fingerprint or face through WeChat SOTER, or the bound phone),
 * and answers 403 STEP_UP_REQUIRED otherwise, which the mini-program SDK's stepUp() resolves.
 * Sa-Token's 二级认证 (`checkSafe`), with the proof checked by WeChat.
 */
import type { Next, ParameterizedContext } from "koa";
import type { SessionState } from "./requireSession.js";

/**
 * @param maxAgeSeconds - how long ago the step-up may have been, at most (default: as long as it
 *   counts, STEP_UP_TTL on the service)
 * @returns middleware answering 403 `{"error": {"code": "STEP_UP_REQUIRED", "message"}}`; put it
 *   after requireSession
 * @throws TypeError for a maxAgeSeconds that is not a positive number; at a request, when
 *   requireSession has not run before it
 */
export function requireStepUp(maxAgeSeconds?: number) {
  if (maxAgeSeconds !== undefined && !(maxAgeSeconds > 0)) throw new TypeError("maxAgeSeconds must be a positive number of seconds");
  return async function requireStepUp(ctx: ParameterizedContext<SessionState>, next: Next): Promise<void> {
    const session = ctx.state.session;
    if (!session) throw new TypeError("requireStepUp needs requireSession before it");
    const now = Date.now();
    const stepUp = session.stepUp;
    const fresh =
      stepUp && stepUp.until.getTime() > now && (maxAgeSeconds === undefined || now - stepUp.at.getTime() <= maxAgeSeconds * 1000);
    if (!fresh) {
      ctx.status = 403;
      ctx.body = { error: { code: "STEP_UP_REQUIRED", message: "Confirm it is you (fingerprint, face or phone) and try again." } };
      return;
    }
    await next();
  };
}
