import { z } from "zod";

/** POST /admin/users/:userId/ban: an optional reason, kept in the audit trail and on the user. */
export const banBody = z.object({ reason: z.string().max(500, "must be at most 500 characters").optional() });
export type BanBody = z.infer<typeof banBody>;
