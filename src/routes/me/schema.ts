import type { z } from "zod";
import { profile } from "../profileSchema.js";

/** PATCH /me: any of the profile fields; null clears one. */
export const updateMeBody = profile;
export type UpdateMeBody = z.infer<typeof updateMeBody>;
