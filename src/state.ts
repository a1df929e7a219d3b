/**
 * What tongxing's own middleware puts on `ctx.state`, typed once for every router
 * (routes/router.ts makes `Router<AppState>`).
 */
import type { Logger } from "pino";
import type { AuthState } from "./middlewares/auth.js";

export interface AppState {
  /** The request's logger, with its request id (middlewares/requestLog.ts). */
  log: Logger;
  /**
   * The caller's user and session: set by `authenticate` only, and read only by routes mounted
   * behind it (it is absent elsewhere).
   */
  auth: AuthState;
  /** The validated body (middlewares/validate.ts): each route narrows it to its schema's type. */
  body: unknown;
  /** The user a request without a session acted for (a login), for its log line. */
  userId?: number;
  /** True when X-Tongxing-Service-Token matched SERVICE_TOKEN (routes/auth/verify.ts). */
  serviceCaller?: boolean;
}
