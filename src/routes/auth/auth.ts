/**
 * POST /auth/login, GET /auth/session, POST /auth/logout.
 * Handlers are thin: validate → command → presenter.
 */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import { login as runLogin } from "../../commands/login.js";
import { logout } from "../../commands/sessionAdmin.js";
import type { AppDeps } from "../../deps.js";
import { appUnknown } from "../../errors.js";
import { loginRateLimits } from "../../middlewares/rateLimits.js";
import { validateBody } from "../../middlewares/validate.js";
import { type App, isWebPlatform } from "../../platforms/types.js";
import { presentLogin } from "../../presenters/login.js";
import { presentSession } from "../../presenters/session.js";
import { headerText } from "../../sessions/userAgent.js";
import { createRouter } from "../router.js";
import { type LoginBody, loginBody } from "./schema.js";

/** Routes of the caller's own login and session. */
export function authRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/auth");

  const limits = loginRateLimits(deps.redis, deps.config.redisKeyPrefix, deps.config.loginRateLimit);

  router.post<{ body: LoginBody }>("/login", limits.byIp, validateBody(loginBody), limits.byCode, async function login(ctx) {
    const { body } = ctx.state;
    const result = await runLogin(
      { ...deps, log: ctx.state.log },
      {
        app: miniProgramApp(deps.apps.forLogin(body.appid, ctx.get("referer"))),
        code: body.code,
        profile: body.profile,
        ip: ctx.ip,
        userAgent: headerText(ctx.get("user-agent")),
      },
    );
    ctx.state.userId = result.user.id;
    ctx.body = presentLogin(result);
  });

  // Answered from Redis alone: the cheapest authenticated route.
  router.get("/session", auth, function session(ctx) {
    ctx.body = presentSession(ctx.state.auth.session);
  });

  router.post("/logout", auth, async function logoutCurrent(ctx) {
    await logout(deps, ctx.state.auth.session, ctx.ip);
    ctx.status = 204;
  });

  return router;
}

/**
 * A mini-program's app: a web app's users log in through its redirect (routes/web), whose state
 * binds the code to the browser that asked for it.
 * @throws AppError 400 APP_UNKNOWN for a wechat-oa or wechat-web app
 */
function miniProgramApp(app: App): App {
  if (isWebPlatform(app.platform))
    throw appUnknown(`appid ${app.appid} is a ${app.platform} app: log in through GET /auth/web/${app.appid}/authorize.`);
  return app;
}
