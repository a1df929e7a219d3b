/**
 * The `tongxing` package's library entry: tongxing's session check for your own Node backend.
 * The service itself is `npx tongxing` (dist/main.js).
 */
export type { VerifiedSession } from "./presenters/session.js";
export { type RequireSessionOptions, requireSession, type SessionState } from "./verifier/requireSession.js";
export {
  createSessionVerifier,
  SESSION_DEFAULTS,
  type SessionVerifier,
  type SessionVerifierOptions,
} from "./verifier/sessionVerifier.js";
