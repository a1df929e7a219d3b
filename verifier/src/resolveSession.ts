/**
 * The session check, shared by the service (src/sessions/sessions.ts, whose header states the
 * data model, expiry, renewal and threats) and the library's verifier: one copy of the rules a
 * request is let through by.
 */
import { afterIo } from "./eventLoop.js";
import type { SessionRecord } from "./record.js";
import type { SessionCache } from "./sessionCache.js";
import type { SessionEnd } from "./sessionEnd.js";
import type { SessionReader } from "./sessionReader.js";
import { parseToken } from "./token.js";

/**
 * Sliding renewal is due when less than half of the idle window is left, unless the absolute
 * timeout allows no more (see the header comment for why half).
 * @param idleTtl - seconds
 * @param now - epoch ms
 */
export function renewalDue(record: SessionRecord, idleTtl: number, now: number): boolean {
  return record.expiresAt - now < (idleTtl * 1000) / 2 && record.expiresAt < record.absoluteExpiresAt;
}

/** Whether a check's answer is a refusal (sessionEnd.ts) rather than a live session. */
export const isEnd = (r: SessionRecord | SessionEnd): r is SessionEnd => "reason" in r;

const UNKNOWN: SessionEnd = Object.freeze({ reason: "UNKNOWN" });
const EXPIRED: SessionEnd = Object.freeze({ reason: "EXPIRED" });

/**
 * The session check, the one implementation behind every authenticated route, /auth/verify and
 * the library's verifier: one Redis read, plus one write when renewal is due; none when the
 * process-local cache holds the session (the service only; sessionCache.ts).
 * @param idleTtl - seconds (SESSION_IDLE_TTL)
 * @param now - epoch ms
 * @returns the live session, or why the token is refused (sessionEnd.ts): UNKNOWN for a
 *   malformed, unknown or long-ended token, EXPIRED, or the end tongxing recorded
 * @throws whatever ioredis throws when Redis cannot be asked (callers answer 503)
 */
export async function checkSession(
  store: SessionReader,
  idleTtl: number,
  now: number,
  token: string,
  cache?: SessionCache,
): Promise<SessionRecord | SessionEnd> {
  const parsed = parseToken(token);
  if (!parsed) return UNKNOWN;
  // The cache (sessionCache.ts) answers only while Redis can tell it of every write; a renewal
  // that is due goes to Redis like a miss.
  const cached = cache?.get(parsed.userId, parsed.sid, now);
  if (cached && cached.expiresAt > now && !renewalDue(cached, idleTtl, now)) {
    // After this turn's I/O first: I/O that has already arrived is handled before we answer from
    // memory, so a Redis connection that closed, or an invalidation that came in the same batch
    // as this request, is seen (a SIGKILLed Redis is 503 on the next request, not 200).
    await afterIo();
    if (cache?.holds(parsed.userId, parsed.sid, cached)) return cached;
  }
  const ticket = cache?.ticket(now);
  const found = await store.get(parsed.userId, parsed.sid, now);
  if (isEnd(found)) return found;
  // A session past expiresAt stays in the hash until a script touches the user: dead here.
  if (found.expiresAt <= now) return EXPIRED;
  if (!renewalDue(found, idleTtl, now)) {
    if (ticket) cache?.set(found, ticket, now);
    return found;
  }
  const renewed = { ...found, lastSeenAt: now, expiresAt: Math.min(now + idleTtl * 1000, found.absoluteExpiresAt) };
  if (await store.renew(renewed)) return renewed;
  // Ended between the read and the renewal: read again for why.
  const again = await store.get(parsed.userId, parsed.sid, now);
  return isEnd(again) ? again : UNKNOWN;
}

/**
 * checkSession without the reason.
 * @returns the live session, or null for any refused token
 * @throws whatever ioredis throws when Redis cannot be asked
 */
export async function resolveSession(
  store: SessionReader,
  idleTtl: number,
  now: number,
  token: string,
  cache?: SessionCache,
): Promise<SessionRecord | null> {
  const result = await checkSession(store, idleTtl, now, token, cache);
  return isEnd(result) ? null : result;
}
