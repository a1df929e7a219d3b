import { z } from "zod";
import { profile } from "../profileSchema.js";

/** POST /auth/login: the wx.login code (1-128 characters) and an optional profile. */
export const loginBody = z.object({
  code: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters"),
  profile: profile.optional(),
});
export type LoginBody = z.infer<typeof loginBody>;
