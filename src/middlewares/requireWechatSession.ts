import type { Context, Next } from "koa";
import { wrongPlatform } from "../errors.js";

/**
 * Refuses a session of a platform other than WeChat on a route that calls WeChat's own APIs
 * (open data with the session_key, checkSessionKey, the phone number): each of them exists at
 * WeChat only, and another platform's session_key or openid means nothing there. Goes after
 * the auth middleware, before the body is validated, so the answer does not depend on the body.
 * @throws AppError 400 WRONG_PLATFORM
 */
export async function requireWechatSession(ctx: Context, next: Next): Promise<void> {
  if (ctx.state.auth.session.platform !== "wechat") throw wrongPlatform(`${ctx.method} ${ctx.path}`);
  await next();
}
