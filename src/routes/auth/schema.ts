import { z } from "zod";
import { profile } from "../profileSchema.js";

/**
 * POST /auth/login: the wx.login code (1-128 characters), optionally the appid of the
 * mini-program (else WeChat's Referer, else the only app: wechat/apps.ts), and a profile.
 */
export const loginBody = z.object({
  code: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters"),
  appid: z
    .string()
    .regex(/^[\x21-\x7e]{1,64}$/, "must be an appid such as wx0123456789abcdef")
    .optional(),
  profile: profile.optional(),
});
export type LoginBody = z.infer<typeof loginBody>;
