import { z } from "zod";
import { avatarUrl, nickname } from "../profileSchema.js";

/** PATCH /me: any of the profile fields. */
export const updateMeBody = z.object({ nickname: nickname.optional(), avatarUrl: avatarUrl.optional() });
export type UpdateMeBody = z.infer<typeof updateMeBody>;
