/**
 * Issuing session tokens: the format and why it is safe are on verifier/src/token.ts, which
 * parses them (the library checks tokens too, but only the service makes them).
 */
import { nanoid } from "nanoid";

/** The secret's length in characters of nanoid's 64-letter alphabet: 32 × 6 = 192 bits. */
const SECRET_LENGTH = 32;

/** Makes a new token for a user: `<userId>.<secret>`. */
export function newToken(userId: number): string {
  return `${userId}.${nanoid(SECRET_LENGTH)}`;
}
