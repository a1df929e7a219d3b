/**
 * Profile fields, shared by POST /auth/login and PATCH /me. Since 2022 WeChat no longer hands
 * out nickname and avatar: the user types them in, so they are untrusted input. Lengths count
 * Unicode code points (as PostgreSQL's varchar does), so a 4-byte emoji is one character.
 */
import { z } from "zod";

const codePoints = (s: string) => [...s].length;

export const nickname = z
  .string()
  .refine((s) => codePoints(s) >= 1 && codePoints(s) <= 64, "must be 1 to 64 characters")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters")
  .refine((s) => s.isWellFormed(), "must be valid Unicode");

export const avatarUrl = z
  .string()
  .max(512, "must be at most 512 characters")
  .refine((s) => {
    try {
      return new URL(s).protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an https URL");

export const profile = z.object({ nickname: nickname.optional(), avatarUrl: avatarUrl.optional() });
