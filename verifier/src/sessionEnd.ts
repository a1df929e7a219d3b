/**
 * Why a session is not live: what a refused token's `reason` says, so that a mini-program can
 * tell "logged in on another device" or "banned until ..." from a token that simply expired, and
 * log in again by itself only for the latter (Sa-Token's NotLoginException scenes, with names).
 *
 * A session ended by tongxing leaves its end in the user's hash (keys.ts): the field `~<sid>`
 * holding `<letter>,<keep until>` (base-36 epoch ms), about 12 bytes, kept until the session's
 * own expiresAt (no longer than it could have lived) and at most 16 per user (the newest).
 */

/** The reasons a session check refuses a token. */
export const END_REASONS = ["UNKNOWN", "EXPIRED", "LOGGED_OUT", "REPLACED", "REVOKED", "BANNED", "DELETED"] as const;
/**
 * - UNKNOWN: never issued, forged, or ended so long ago that nothing is kept;
 * - EXPIRED: the idle or absolute timeout passed;
 * - LOGGED_OUT: this token's own logout;
 * - REPLACED: pushed out by a newer login (the per-user cap, or a concurrency policy);
 * - REVOKED: ended by the user from another session, or by an operator;
 * - BANNED: the user is banned (bannedUntil, banReason when set);
 * - DELETED: the account was deleted.
 */
export type EndReason = (typeof END_REASONS)[number];

/** A refused session: why, and for a ban until when and why. */
export interface SessionEnd {
  reason: EndReason;
  /** Epoch ms a ban with an end lifts itself (BANNED only; absent: until an operator lifts it). */
  bannedUntil?: number;
  /** The operator's reason for the ban, when one was given (BANNED only). */
  banReason?: string;
}

/** The letters the session scripts write (src/sessions/lua), and what each stands for. */
export const END_LETTERS: Record<string, EndReason> = { L: "LOGGED_OUT", P: "REPLACED", V: "REVOKED", B: "BANNED", D: "DELETED" };

/** The field holding a session's end. */
export const endField = (sid: string) => `~${sid}`;

/**
 * Reads an end's value.
 * @param now - epoch ms
 * @returns the reason, or null when the value is no end or its keep-until has passed
 */
export function decodeEnd(raw: string | null | undefined, now: number): EndReason | null {
  const m = raw ? /^([A-Z]),([0-9a-z]{1,11})$/.exec(raw) : null;
  if (!m || Number.parseInt(m[2] as string, 36) <= now) return null;
  return END_LETTERS[m[1] as string] ?? null;
}
