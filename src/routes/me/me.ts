/** GET /me, PATCH /me, DELETE /me, POST /me/phone, /me/identities: the caller's user. */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import { bindIdentity, listIdentities, unbindIdentity } from "../../commands/identities.js";
import { bindPhone } from "../../commands/openData.js";
import { updateProfile } from "../../commands/profile.js";
import { deleteAccount } from "../../commands/userAdmin.js";
import type { AppDeps } from "../../deps.js";
import { identityNotFound, tokenInvalid } from "../../errors.js";
import { wechatCallRateLimit } from "../../middlewares/rateLimits.js";
import { requireWechatSession } from "../../middlewares/requireWechatSession.js";
import { validateBody } from "../../middlewares/validate.js";
import { presentOwnIdentity, presentUser } from "../../presenters/user.js";
import { createRouter } from "../router.js";
import { type PhoneBody, phoneBody } from "../wechat/schema.js";
import { type BindIdentityBody, bindIdentityBody, type UpdateMeBody, updateMeBody } from "./schema.js";

export function meRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/me");
  router.use(auth);

  router.get("/", async function getMe(ctx) {
    const { userId } = ctx.state.auth;
    const user = await deps.prisma.user.findUnique({ where: { id: userId } });
    if (!user) throw tokenInvalid();
    ctx.body = presentUser(user);
  });

  router.patch<{ body: UpdateMeBody }>("/", validateBody(updateMeBody), async function updateMe(ctx) {
    const { userId } = ctx.state.auth;
    const { body } = ctx.state;
    ctx.body = presentUser(await updateProfile(deps, userId, body));
  });

  // Account deletion by its owner (PIPL Art. 47): commands/userAdmin.ts says what goes.
  router.delete("/", async function deleteMe(ctx) {
    const { userId } = ctx.state.auth;
    await deleteAccount(deps, userId, { actor: "user", ip: ctx.ip });
    ctx.status = 204;
  });

  const wechatLimit = wechatCallRateLimit(deps.redis, deps.config.redisKeyPrefix, deps.config.wechatCallRateLimit);
  router.post<{ body: PhoneBody }>(
    "/phone",
    requireWechatSession,
    validateBody(phoneBody),
    wechatLimit,
    async function bindPhoneNumber(ctx) {
      const { session } = ctx.state.auth;
      ctx.body = presentUser(await bindPhone(deps, ctx.state.log, session, ctx.state.body.code));
    },
  );

  // Binding (commands/identities.ts): the user's accounts on other platforms, added by a fresh
  // login code of that app. Exchanging a code costs a platform call, as a login does.
  router.get("/identities", async function getIdentities(ctx) {
    ctx.body = (await listIdentities(deps.prisma, ctx.state.auth.userId)).map(presentOwnIdentity);
  });

  router.post<{ body: BindIdentityBody }>(
    "/identities",
    validateBody(bindIdentityBody),
    wechatLimit,
    async function bindIdentityRoute(ctx) {
      const { body } = ctx.state;
      const result = await bindIdentity({ ...deps }, ctx.state.log, ctx.state.auth.userId, { ...body, ip: ctx.ip });
      ctx.status = result.created ? 201 : 200;
      ctx.body = presentOwnIdentity(result.identity);
    },
  );

  router.delete("/identities/:identityId", async function unbindIdentityRoute(ctx) {
    const raw = ctx.params.identityId;
    // Anything but a positive 32-bit id names no identity of the user's.
    if (!raw || !/^[1-9][0-9]{0,9}$/.test(raw) || Number(raw) > 2147483647) throw identityNotFound();
    await unbindIdentity(deps, ctx.state.auth.userId, Number(raw), ctx.ip);
    ctx.status = 204;
  });

  return router;
}
