/**
 * The refusals a session check answers with, in tongxing's error shape
 * `{"error": {"code", "message"}}`: the service's errors.ts builds its AppErrors from these, so a
 * business API using requireSession answers exactly as tongxing does (the mini-program SDK logs
 * in again on 401 TOKEN_INVALID and TOKEN_MISSING).
 */

/** An HTTP refusal: status, stable code, a message for the developer. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** 401: no token was sent. @param header - the token header's name */
export const tokenMissing = (header: string): Refusal => ({
  status: 401,
  code: "TOKEN_MISSING",
  message: `Send the session token in the ${header} header or as Authorization: Bearer <token>.`,
});

/** 401: the token names no live session. */
export const tokenInvalid = (): Refusal => ({
  status: 401,
  code: "TOKEN_INVALID",
  message: "The session token is unknown, expired or revoked; log in again.",
});

/** 503: Redis could not be asked (a token that could not be checked is never let through). */
export const serviceUnavailable = (): Refusal => ({
  status: 503,
  code: "SERVICE_UNAVAILABLE",
  message: "A storage backend is unavailable; try again shortly.",
});

/** The response body of a refusal. */
export function refusalBody(r: Refusal): { error: { code: string; message: string } } {
  return { error: { code: r.code, message: r.message } };
}
