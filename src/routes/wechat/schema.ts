import { z } from "zod";

/** POST /wechat/decrypt: base64 strings as the mini-program gets them. */
export const decryptBody = z.object({
  encryptedData: z.string().min(1, "must not be empty").max(12000, "is too long"),
  iv: z.string().min(1, "must not be empty").max(64, "is too long"),
});
export type DecryptBody = z.infer<typeof decryptBody>;

/** POST /wechat/verify-signature: rawData as wx.getUserInfo gave it, and its hex signature. */
export const verifySignatureBody = z.object({
  rawData: z.string().max(8000, "is too long"),
  signature: z.string().regex(/^[0-9a-fA-F]{1,128}$/, "must be hex"),
});
export type VerifySignatureBody = z.infer<typeof verifySignatureBody>;

/** POST /me/phone: the code from the getPhoneNumber button (not a wx.login code). */
export const phoneBody = z.object({ code: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters") });
export type PhoneBody = z.infer<typeof phoneBody>;
