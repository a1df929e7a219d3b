/**
 * Session tokens.
 *
 * A token is `<userId>.<secret>` (made by the service's src/sessions/newToken.ts): the secret is 32 characters of nanoid's 64-letter URL-safe
 * alphabet, 32 × 6 = 192 bits from the CSPRNG (OWASP ASVS V3.2.2 asks for at least 64 bits of
 * entropy; the issue asks for 128). The userId prefix is not secret: it routes the lookup to
 * the user's Redis Cluster slot so that every key of one user can be updated by one script.
 *
 * Redis never sees the token: the session is stored under the SHA-256 of the token (base64url,
 * first 22 characters = 132 bits, far past any collision risk at our scale). A stolen Redis
 * dump therefore yields no usable token, and because the lookup is by hash there is no secret
 * comparison for a timing attack to measure.
 */
import { hash } from "node:crypto";

const TOKEN_RE = /^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{32})$/;

/** A token split into its parts and its storage id. */
export interface ParsedToken {
  userId: number;
  /** base64url(SHA-256(token)).slice(0, 22): the Redis id of the session. */
  sid: string;
}

/** The session id stored in Redis for a token. */
export function sidOf(token: string): string {
  // One-shot crypto.hash (Node ≥ 20.12): half the CPU per token of createHash.
  return hash("sha256", token, "base64url").slice(0, 22);
}

/**
 * Parses a token as it came in a header.
 * @returns null when it cannot be a token we issued (no Redis lookup is needed to reject it)
 */
export function parseToken(token: string): ParsedToken | null {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const userId = Number(m[1]);
  if (userId > 2147483647) return null;
  return { userId, sid: sidOf(token) };
}

/**
 * The public session id shown to users and admins: `<userId>.<sid>`. It names a session
 * without being able to act as one (the sid is a hash of the token).
 */
export function publicSessionId(userId: number, sid: string): string {
  return `${userId}.${sid}`;
}

/** Parses a public session id. @returns null when malformed */
export function parsePublicSessionId(id: string): { userId: number; sid: string } | null {
  const m = /^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22})$/.exec(id);
  if (!m || Number(m[1]) > 2147483647) return null;
  return { userId: Number(m[1]), sid: m[2] as string };
}
