import { z } from "zod";
import { AUDIT_ACTIONS } from "../../audit.js";

/** POST /admin/users/:userId/ban: an optional reason, kept in the audit trail and on the user. */
export const banBody = z.object({ reason: z.string().max(500, "must be at most 500 characters").optional() });
export type BanBody = z.infer<typeof banBody>;

export const positiveId = (name: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, `must be a positive integer`)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), `${name} is too large`);

/** A page size: 1 to 200. */
export const pageSize = z
  .string()
  .regex(/^[0-9]{1,3}$/, "must be 1 to 200")
  .transform(Number)
  .refine((n) => n >= 1 && n <= 200, "must be 1 to 200");

/** GET /admin/audit: filters, the cursor (`before`: events older than that id) and the page size. */
export const auditQuery = z.strictObject({
  userId: positiveId("userId").optional(),
  action: z.enum(AUDIT_ACTIONS, { error: `must be one of ${AUDIT_ACTIONS.join(", ")}` }).optional(),
  before: positiveId("before").optional(),
  limit: pageSize.optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;

const text = (max: number) => z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/**
 * GET /admin/users: at most one of the exact matches (openid, unionid, phone) or the nickname
 * prefix; without any, every user. `limit` and `cursor` page the listing and the nickname search.
 * A parameter given twice arrives as an array and is refused as not a string.
 */
export const usersQuery = z.strictObject({
  openid: z.string().optional(),
  unionid: z.string().optional(),
  phone: z.string().optional(),
  /** users.nickname is varchar(256). */
  nickname: text(256).optional(),
  cursor: positiveId("cursor").optional(),
  limit: pageSize.optional(),
});
export type UsersQuery = z.infer<typeof usersQuery>;
