/**
 * requireUnrestricted: Koa middleware for a business API route that a restriction takes away
 * (restrictions.ts): after requireSession, refuses a user carrying the named restriction with 403
 * RESTRICTED, and lets everyone else through. The user keeps their session and the rest of the
 * app works: Sa-Token's service bans (`disable(id, "comment", time)`), with the state kept by
 * tongxing.
 */
import type { Next, ParameterizedContext } from "koa";
import type { SessionState } from "./requireSession.js";

/** The refusal's body: `{"error": {"code": "RESTRICTED", "message", "restriction", "until"}}`. */
export interface RestrictedBody {
  error: { code: "RESTRICTED"; message: string; restriction: string; until: string | null };
}

/**
 * @param name - the restriction this route is taken away by (`comment`, `pay`...)
 * @returns middleware answering 403 RESTRICTED (with the name, and `until` as ISO 8601 or null)
 *   for a user carrying it; put it after requireSession
 * @throws TypeError at setup when requireSession has not run before it on a request
 */
export function requireUnrestricted(name: string) {
  return async function requireUnrestricted(ctx: ParameterizedContext<SessionState>, next: Next): Promise<void> {
    const session = ctx.state.session;
    if (!session) throw new TypeError("requireUnrestricted needs requireSession before it");
    const found = session.restrictions.find((r) => r.name === name);
    if (found) {
      ctx.status = 403;
      ctx.body = {
        error: {
          code: "RESTRICTED",
          message: `This user may not ${name} at the moment.`,
          restriction: name,
          until: found.until?.toISOString() ?? null,
        },
      } satisfies RestrictedBody;
      return;
    }
    await next();
  };
}
