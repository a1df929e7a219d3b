/**
 * Restrictions: partial bans an operator puts on a user (`comment`, `post`, `pay`: the team's own
 * words). The user keeps their sessions; every session check carries the active restrictions, and
 * the team's API refuses what they name (requireUnrestricted.ts). The service keeps them in its
 * database and a copy in the user's hash (keys.ts, field `r`), which the check reads in the same
 * HMGET as the session: `<name>,<until>;<name>,<until>` with until in base-36 epoch ms, `0` for
 * none.
 */

/** One restriction; `until` in epoch ms, null when an operator must lift it. */
export interface Restriction {
  name: string;
  until: number | null;
}

/** A restriction's name: the team's word. */
export const RESTRICTION_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** The hash field's value for a list ("" for none). */
export function encodeRestrictions(list: readonly Restriction[]): string {
  return list.map((r) => `${r.name},${r.until === null ? "0" : Math.round(r.until).toString(36)}`).join(";");
}

const NONE: readonly Restriction[] = Object.freeze([]);

/** Parses the hash field; anything malformed is dropped. */
export function decodeRestrictions(raw: string | null | undefined): readonly Restriction[] {
  if (!raw) return NONE;
  const out: Restriction[] = [];
  for (const part of raw.split(";")) {
    const [name, until] = part.split(",");
    if (!name || !RESTRICTION_NAME.test(name) || !until || !/^[0-9a-z]{1,11}$/.test(until)) continue;
    out.push({ name, until: until === "0" ? null : Number.parseInt(until, 36) });
  }
  return out;
}

/** The restrictions still in force at `now` (epoch ms). */
export function activeRestrictions(list: readonly Restriction[], now: number): readonly Restriction[] {
  return list.length === 0 || list.every((r) => r.until === null || r.until > now)
    ? list
    : list.filter((r) => r.until === null || r.until > now);
}
