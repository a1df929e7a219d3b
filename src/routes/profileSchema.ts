/**
 * Profile fields, shared by POST /auth/login and PATCH /me. Since 2022 WeChat no longer hands
 * out nickname and avatar: the user types them in, so they are untrusted input. A nickname's
 * length counts grapheme clusters, as a person does (a ZWJ emoji family is one), with a cap in
 * code points for the column (PostgreSQL's varchar counts those).
 */
import { z } from "zod";

const codePoints = (s: string) => [...s].length;
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
/** What a person counts as characters: 👨‍👩‍👧‍👦 is one (seven code points). Unicode UAX #29. */
const graphemes = (s: string) => {
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
};

/**
 * Characters a nickname may not hold: controls (C0, DEL, C1 such as U+0085), format characters
 * (`\p{Cf}`: bidirectional overrides such as U+202E, zero-width spaces, the byte order mark) and
 * the line and paragraph separators, which let a name hide or reorder text in an admin's or
 * another user's view (Unicode TR36 §2; OWASP ASVS V5.2.2). The zero-width joiner (U+200D) stays:
 * emoji sequences (👨‍👩‍👧) need it; variation selectors (U+FE0F) are not Cf and stay too.
 */
const INVISIBLE = /[\p{Cc}\u2028\u2029]|(?!\u200d)\p{Cf}/u;

export const nickname = z
  .string()
  .refine((s) => graphemes(s) >= 1 && graphemes(s) <= 64, "must be 1 to 64 characters (an emoji, even a family of them, counts as one)")
  .refine((s) => codePoints(s) <= 256, "must be at most 256 Unicode code points")
  .refine((s) => !INVISIBLE.test(s), "must not contain control, invisible or direction-changing characters")
  .refine((s) => s.isWellFormed(), "must be valid Unicode");

const AVATAR_URL_MAX = 512;
const notHttps = `must be an https URL of at most ${AVATAR_URL_MAX} characters (once normalized)`;

/**
 * An avatar's URL: https only (the mini-program's <image> and any page served over https load
 * nothing else), at most 512 characters, the users.avatar_url column. Parses to the URL as the
 * WHATWG URL parser writes it (`URL.href`), which is what is stored and served: `"`, `<`, `>` and
 * spaces come out percent-encoded, so a value sent as `https://x/"><img onerror=...>` cannot close
 * an attribute in a page that prints it unescaped (OWASP ASVS 4.0 V5.1.3, positive validation;
 * escaping on output stays the page's job). The length is checked on what is sent (bounding the
 * parser's work) and again on the normalized URL (what the column holds). No http: in dev mode
 * either: this schema is one for every mode, and a profile typed in dev is tested as in production.
 */
export const avatarUrl = z
  .string()
  .max(AVATAR_URL_MAX, `must be at most ${AVATAR_URL_MAX} characters`)
  .transform((s, ctx) => {
    const url = URL.parse(s);
    if (url?.protocol === "https:" && url.href.length <= AVATAR_URL_MAX) return url.href;
    ctx.addIssue({ code: "custom", message: notHttps });
    return z.NEVER;
  });

/** Profile fields as a client sends them: absent leaves a field alone, null clears it. */
export const profile = z.object({ nickname: nickname.nullable().optional(), avatarUrl: avatarUrl.nullable().optional() });
