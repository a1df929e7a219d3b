/**
 * @tongxing/verifier: tongxing's session check for your own Node backend, with ioredis as its only
 * dependency (Koa is an optional peer, for requireSession). The service is the `tongxing` package.
 */
export { type RequireSessionOptions, requireSession, type SessionState } from "./requireSession.js";
export { requireStepUp } from "./requireStepUp.js";
export { type RestrictedBody, requireUnrestricted } from "./requireUnrestricted.js";
export { END_REASONS, type EndReason, type SessionEnd } from "./sessionEnd.js";
export {
  createSessionVerifier,
  SESSION_DEFAULTS,
  type SessionVerifier,
  type SessionVerifierOptions,
  type VerifiedSession,
} from "./sessionVerifier.js";
