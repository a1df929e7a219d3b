import { z } from "zod";
import { RESTRICTION_NAME } from "../../../verifier/src/restrictions.js";
import { AUDIT_ACTIONS } from "../../audit.js";
import { PLATFORMS } from "../../platforms/types.js";

/** POST /admin/users/:userId/ban: an optional reason, kept in the audit trail and on the user. */
/** A time something lifts itself: ISO 8601, in the future. */
const future = z
  .string()
  .datetime({ offset: true, message: "must be an ISO 8601 time such as 2027-01-01T00:00:00Z" })
  .transform((s) => new Date(s))
  .refine((d) => d.getTime() > Date.now(), "must be in the future");

export const banBody = z.object({
  reason: z.string().max(500, "must be at most 500 characters").optional(),
  /** When the ban lifts itself. */
  until: future.optional(),
});
export type BanBody = z.infer<typeof banBody>;

/** POST /admin/users/:userId/restrictions. */
export const restrictionBody = z.object({
  name: z.string().regex(RESTRICTION_NAME, "must be the restriction's name: a-z, then up to 31 of a-z 0-9 _ -"),
  reason: z.string().max(500, "must be at most 500 characters").optional(),
  until: future.optional(),
});
export type RestrictionBody = z.infer<typeof restrictionBody>;

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
 * prefix; without any, every user. `platform` narrows the listing and the nickname search to users
 * with an identity of that platform; `limit` and `cursor` page them. A parameter given twice
 * arrives as an array and is refused as not a string (`platform`: as not one of the platforms).
 */
export const usersQuery = z.strictObject({
  openid: z.string().optional(),
  unionid: z.string().optional(),
  phone: z.string().optional(),
  /** users.nickname is varchar(256). */
  nickname: text(256).optional(),
  platform: z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(", ")}` }).optional(),
  cursor: positiveId("cursor").optional(),
  limit: pageSize.optional(),
});
export type UsersQuery = z.infer<typeof usersQuery>;
