/**
 * POST /auth/login, GET /auth/session, POST /auth/logout.
 * Handlers are thin: validate → command → presenter.
 */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import { logout } from "../../commands/sessionAdmin.js";
import { wechatLogin } from "../../commands/wechatLogin.js";
import type { AppDeps } from "../../deps.js";
import { AppError } from "../../errors.js";
import type { AuthState } from "../../middlewares/auth.js";
import { loginRateLimits } from "../../middlewares/rateLimits.js";
import { validateBody } from "../../middlewares/validate.js";
import { presentSession } from "../../presenters/session.js";
import { presentUser } from "../../presenters/user.js";
import { headerText } from "../../sessions/userAgent.js";
import { createRouter } from "../router.js";
import { type LoginBody, loginBody } from "./schema.js";

/** Routes of the caller's own login and session. */
export function authRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/auth");

  const limits = loginRateLimits(deps.redis, deps.config.redisKeyPrefix, deps.config.loginRateLimit);

  router.post("/login", limits.byIp, validateBody(loginBody), limits.byCode, async function login(ctx) {
    const body = ctx.state.body as LoginBody;
    let result: Awaited<ReturnType<typeof wechatLogin>>;
    try {
      result = await wechatLogin(
        {
          prisma: deps.prisma,
          sessions: deps.sessions,
          wechat: deps.wechat,
          audit: deps.audit,
          log: ctx.state.log,
          loginReplay: deps.loginReplay,
        },
        { code: body.code, profile: body.profile, ip: ctx.ip, userAgent: headerText(ctx.get("user-agent")) },
      );
    } catch (err) {
      deps.metrics.logins.labels(err instanceof AppError ? err.code : "INTERNAL_ERROR").inc();
      throw err;
    }
    deps.metrics.logins.labels(result.replayed ? "replayed" : result.isNewUser ? "new_user" : "returning_user").inc();
    ctx.state.auth = { userId: result.user.id, session: result.session } satisfies AuthState;
    ctx.body = {
      token: result.token,
      expiresAt: new Date(result.session.expiresAt).toISOString(),
      isNewUser: result.isNewUser,
      user: presentUser(result.user),
    };
  });

  // Answered from Redis alone: the cheapest authenticated route.
  router.get("/session", auth, function session(ctx) {
    ctx.body = presentSession((ctx.state.auth as AuthState).session);
  });

  router.post("/logout", auth, async function logoutCurrent(ctx) {
    await logout(deps, (ctx.state.auth as AuthState).session, ctx.ip);
    ctx.status = 204;
  });

  return router;
}
