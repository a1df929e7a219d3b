/** GET /me, PATCH /me: the caller's user. */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import { bindPhone } from "../../commands/openData.js";
import type { AppDeps } from "../../deps.js";
import { tokenInvalid } from "../../errors.js";
import type { AuthState } from "../../middlewares/auth.js";
import { wechatCallRateLimit } from "../../middlewares/rateLimits.js";
import { validateBody } from "../../middlewares/validate.js";
import { presentUser } from "../../presenters/user.js";
import { storage } from "../../storage.js";
import { createRouter } from "../router.js";
import { type PhoneBody, phoneBody } from "../wechat/schema.js";
import { type UpdateMeBody, updateMeBody } from "./schema.js";

export function meRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/me");
  router.use(auth);

  router.get("/", async function getMe(ctx) {
    const { userId } = ctx.state.auth as AuthState;
    const user = await storage(() => deps.prisma.user.findUnique({ where: { id: userId } }));
    if (!user) throw tokenInvalid();
    ctx.body = presentUser(user);
  });

  router.patch("/", validateBody(updateMeBody), async function updateMe(ctx) {
    const { userId } = ctx.state.auth as AuthState;
    const body = ctx.state.body as UpdateMeBody;
    const user = await storage(() => deps.prisma.user.update({ where: { id: userId }, data: body }));
    ctx.body = presentUser(user);
  });

  const wechatLimit = wechatCallRateLimit(deps.redis, deps.config.redisKeyPrefix, deps.config.wechatCallRateLimit);
  router.post("/phone", validateBody(phoneBody), wechatLimit, async function bindPhoneNumber(ctx) {
    const { userId } = ctx.state.auth as AuthState;
    ctx.body = presentUser(await bindPhone(deps, ctx.state.log, userId, (ctx.state.body as PhoneBody).code));
  });

  return router;
}
