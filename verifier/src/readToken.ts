/**
 * Where a session token is read from, for the service's routes and the library's requireSession
 * alike: the token header (tongxing's TOKEN_HEADER) or `Authorization: Bearer <token>`.
 */

/** What is needed of a request: Koa's `ctx.get(name)` (a header's value, "" when absent). */
export interface HeaderReader {
  get(name: string): string;
}

// The auth-scheme is case-insensitive and followed by one or more spaces (RFC 9110 §11.1, §11.4).
const BEARER_RE = /^bearer +([\x21-\x7e]{1,512})$/i;
const MAX_TOKEN_LENGTH = 512;

/**
 * Reads the token from the request.
 * @returns the token, null when none was sent, or "" when one was sent but cannot be a token
 */
export function readToken(req: HeaderReader, header: string): string | null {
  const direct = req.get(header);
  if (direct) return direct.length <= MAX_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(direct) ? direct : "";
  if (!req.get("authorization")) return null;
  return readBearer(req) ?? "";
}

/**
 * The credential of `Authorization: Bearer <credential>` (printable ASCII, at most 512
 * characters), for session, admin and metrics tokens alike.
 * @returns undefined when the header is missing or not of that form
 */
export function readBearer(req: HeaderReader): string | undefined {
  return BEARER_RE.exec(req.get("authorization"))?.[1];
}
