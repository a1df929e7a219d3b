/**
 * The refusals a session check answers with, in tongxing's error shape
 * `{"error": {"code", "message"}}`: the service's errors.ts builds its AppErrors from these, so a
 * business API using requireSession answers exactly as tongxing does (the mini-program SDK logs
 * in again on 401 TOKEN_INVALID and TOKEN_MISSING, by itself only for the reasons UNKNOWN and
 * EXPIRED).
 */
import type { EndReason, SessionEnd } from "./sessionEnd.js";

/** An HTTP refusal: status, stable code, a message for the developer. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** TOKEN_INVALID: why the session is not live, and for a ban until when (ISO 8601) and why. */
  details?: { reason: EndReason; bannedUntil?: string; banReason?: string };
}

/** 401: no token was sent. @param header - the token header's name */
export const tokenMissing = (header: string): Refusal => ({
  status: 401,
  code: "TOKEN_MISSING",
  message: `Send the session token in the ${header} header or as Authorization: Bearer <token>.`,
});

/** What each reason tells the developer (sessionEnd.ts). */
const END_MESSAGES: Record<EndReason, string> = {
  UNKNOWN: "The session token is unknown, expired or revoked; log in again.",
  EXPIRED: "The session expired; log in again.",
  LOGGED_OUT: "This session was logged out.",
  REPLACED: "This session was ended by a newer login (another device); ask the user before logging in again.",
  REVOKED: "This session was revoked, by the user from another session or by an operator.",
  BANNED: "The user is banned.",
  DELETED: "The account was deleted.",
};

/**
 * 401: the token names no live session; with why, when known. Every reason keeps the code
 * TOKEN_INVALID, so clients and gateways that know only the code keep working.
 */
export const tokenInvalid = (end: SessionEnd = { reason: "UNKNOWN" }): Refusal => ({
  status: 401,
  code: "TOKEN_INVALID",
  message: END_MESSAGES[end.reason],
  details: {
    reason: end.reason,
    ...(end.bannedUntil !== undefined && { bannedUntil: new Date(end.bannedUntil).toISOString() }),
    ...(end.banReason !== undefined && { banReason: end.banReason }),
  },
});

/** 503: Redis could not be asked (a token that could not be checked is never let through). */
export const serviceUnavailable = (): Refusal => ({
  status: 503,
  code: "SERVICE_UNAVAILABLE",
  message: "A storage backend is unavailable; try again shortly.",
});

/** The response body of a refusal: `{"error": {"code", "message", "reason"?, "bannedUntil"?, "banReason"?}}`. */
export function refusalBody(r: Refusal): { error: { code: string; message: string } & Partial<NonNullable<Refusal["details"]>> } {
  return { error: { code: r.code, message: r.message, ...r.details } };
}
