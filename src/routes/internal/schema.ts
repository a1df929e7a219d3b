import { z } from "zod";

/** POST /internal/wechat/access-token/invalidate: the token a caller saw WeChat reject. */
export const invalidateBody = z.object({
  appid: z.string().min(1, "must not be empty").max(64, "must be at most 64 characters"),
  accessToken: z.string().min(1, "must not be empty").max(2048, "must be at most 2048 characters"),
});
export type InvalidateBody = z.infer<typeof invalidateBody>;
