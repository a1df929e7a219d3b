/**
 * Every error a client can see. Throw only these factories; src/middlewares/errorHandler.ts
 * renders them as `{"error": {"code", "message"}}` and turns anything else into a 500
 * INTERNAL_ERROR whose details go to the log only.
 */
import * as refusals from "../verifier/src/refusals.js";
import type { SessionEnd } from "../verifier/src/sessionEnd.js";

/** An error with an HTTP status and a stable UPPER_SNAKE code that clients can branch on. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
    /** Extra fields of the error object beside code and message (a refused session's reason). */
    readonly details?: Record<string, string>,
  ) {
    // No stack trace: an AppError is an answer, not a fault. Its stack is never logged or sent
    // (errorHandler.ts logs only a cause's), and capturing one under Koa's middleware chain was
    // most of the CPU of a 401 for an expired token, an answer given on every stale request.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = "AppError";
  }
}

export const invalidRequest = (message: string) => new AppError(400, "INVALID_REQUEST", message);
export const unsupportedMediaType = (message = "Send the body as application/json in UTF-8.") =>
  new AppError(415, "UNSUPPORTED_MEDIA_TYPE", message);
// The session check's refusals are the library's too (verifier/src/refusals.ts): one wording.
const refused = (r: refusals.Refusal) => new AppError(r.status, r.code, r.message, {}, r.details);
export const tokenMissing = (header: string) => refused(refusals.tokenMissing(header));
/** 401 TOKEN_INVALID, with why the session is not live (verifier/src/sessionEnd.ts). */
export const tokenInvalid = (end?: SessionEnd) => refused(refusals.tokenInvalid(end));
export const wechatCodeInvalid = () =>
  new AppError(401, "WECHAT_CODE_INVALID", "The wx.login code is invalid, expired or already used; call wx.login again.");
export const wechatUserBlocked = () => new AppError(403, "WECHAT_USER_BLOCKED", "WeChat refused this user (high-risk account).");
export const rateLimited = (message = "Too many requests; slow down.", retryAfterSeconds?: number) =>
  new AppError(429, "RATE_LIMITED", message, retryAfterSeconds ? { "Retry-After": String(retryAfterSeconds) } : {});
export const wechatUnavailable = () => new AppError(502, "WECHAT_UNAVAILABLE", "WeChat did not answer properly; try again shortly.");
/** 503 for a Redis or PostgreSQL failure; `cause` is logged by the error handler, never sent. */
export const serviceUnavailable = (cause?: unknown) =>
  Object.assign(refused(refusals.serviceUnavailable()), cause === undefined ? {} : { cause });
export const methodNotAllowed = () =>
  new AppError(405, "METHOD_NOT_ALLOWED", "That method is not allowed on this route; see the Allow header.");
export const notFound = (message = "No such route.") => new AppError(404, "NOT_FOUND", message);
export const internalError = () => new AppError(500, "INTERNAL_ERROR", "Something went wrong on our side.");
/** The login names no configured mini-program (platforms/apps.ts says how the app is chosen). */
/** A platform other than WeChat refused the login code (WeChat's keeps WECHAT_CODE_INVALID). */
export const loginCodeInvalid = (platform: string) =>
  new AppError(
    401,
    "LOGIN_CODE_INVALID",
    `The ${platform} login code is invalid, expired or already used; get a new one and log in again.`,
  );
/** A platform other than WeChat failed (WeChat's keeps WECHAT_UNAVAILABLE). */
export const platformUnavailable = (platform: string) =>
  new AppError(502, "PLATFORM_UNAVAILABLE", `The ${platform} platform did not answer properly; try again shortly.`);
export const wrongPlatform = (what: string) =>
  new AppError(400, "WRONG_PLATFORM", `${what} is for WeChat mini-programs only; this session is of another platform.`);
export const identityTaken = () =>
  new AppError(409, "IDENTITY_TAKEN", "That account already belongs to another user; it is never merged into this one.");
/** A WeChat snapshot-page visitor (is_snapshotuser): seen a page, authorized nothing. */
export const snapshotUser = () =>
  new AppError(403, "SNAPSHOT_USER", "This WeChat user is viewing a snapshot page and has not authorized the app; open the page itself.");
export const identityNotFound = () => new AppError(404, "IDENTITY_NOT_FOUND", "You have no identity with that id.");
export const lastIdentity = () =>
  new AppError(409, "LAST_IDENTITY", "This is the user's last identity; an account cannot be left with none (delete the account instead).");
export const appUnknown = (message: string) => new AppError(400, "APP_UNKNOWN", message);
export const tooManySessions = (max: number) =>
  new AppError(409, "TOO_MANY_SESSIONS", `This user already has ${max} sessions (SESSIONS_PER_USER_MAX); log out on another device first.`);
/** @param until - when a ban with an end lifts itself (sent as bannedUntil) */
export const userBanned = (until: Date | null = null) =>
  new AppError(403, "USER_BANNED", "This account is banned.", {}, until ? { bannedUntil: until.toISOString() } : undefined);
export const userNotFound = () => new AppError(404, "USER_NOT_FOUND", "No user has that id.");
export const sessionNotFound = () => new AppError(404, "SESSION_NOT_FOUND", "No live session has that id.");
export const webhookDeliveryNotFound = () => new AppError(404, "WEBHOOK_DELIVERY_NOT_FOUND", "No webhook delivery has that id.");
export const webhookDeliveryPending = () =>
  new AppError(409, "WEBHOOK_DELIVERY_PENDING", "That delivery is still pending: tongxing is already trying it.");
export const serviceUnauthorized = () =>
  new AppError(401, "SERVICE_UNAUTHORIZED", "X-Tongxing-Service-Token does not match the SERVICE_TOKEN tongxing was given.");
export const metricsUnauthorized = () => new AppError(401, "METRICS_UNAUTHORIZED", "Send Authorization: Bearer <METRICS_TOKEN>.");
export const adminUnauthorized = () =>
  new AppError(401, "ADMIN_UNAUTHORIZED", "Send the admin token as Authorization: Bearer <ADMIN_TOKEN>.");
export const sessionKeyStale = () =>
  new AppError(409, "SESSION_KEY_STALE", "This session's session_key has been replaced by a newer login; call wx.login again.");
export const decryptFailed = () => new AppError(400, "DECRYPT_FAILED", "encryptedData could not be decrypted with this session's key.");
export const watermarkMismatch = (what: string) => new AppError(400, "WATERMARK_MISMATCH", `The decrypted data's ${what} does not match.`);
export const watermarkExpired = () =>
  new AppError(
    400,
    "WATERMARK_EXPIRED",
    "The decrypted data's watermark.timestamp is older than WECHAT_WATERMARK_MAX_AGE or more than 60 s in the future.",
  );

/** The same error with more response headers (e.g. X-Tongxing-Error for a gateway). */
export const withHeaders = (err: AppError, headers: Record<string, string>) =>
  Object.assign(
    new AppError(err.status, err.code, err.message, { ...err.headers, ...headers }, err.details),
    err.cause === undefined ? {} : { cause: err.cause },
  );
