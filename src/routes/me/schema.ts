import { z } from "zod";
import { appid, loginCode } from "../auth/schema.js";
import { profile } from "../profileSchema.js";

/** PATCH /me: any of the profile fields; null clears one. */
export const updateMeBody = profile;
export type UpdateMeBody = z.infer<typeof updateMeBody>;

/** POST /me/identities: a fresh login code of the app whose identity is added (appid required). */
export const bindIdentityBody = z.object({ appid, code: loginCode });
export type BindIdentityBody = z.infer<typeof bindIdentityBody>;
