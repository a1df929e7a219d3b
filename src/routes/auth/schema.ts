import { z } from "zod";
import { profile } from "../profileSchema.js";

/** A login code of any platform (wx.login, tt.login, my.getAuthCode...): 1-128 characters. */
export const loginCode = z.string().min(1, "must not be empty").max(128, "must be at most 128 characters");
/** An appid of any platform, checked against the configured apps afterwards (platforms/apps.ts). */
export const appid = z.string().regex(/^[\x21-\x7e]{1,64}$/, "must be an appid such as wx0123456789abcdef");

/**
 * POST /auth/login: the login code, optionally the appid of the mini-program (else WeChat's
 * Referer, else the only app: platforms/apps.ts), and a profile.
 */
export const loginBody = z.object({
  code: loginCode,
  appid: appid.optional(),
  profile: profile.optional(),
});
export type LoginBody = z.infer<typeof loginBody>;
