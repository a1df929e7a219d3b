/**
 * Web login (commands/webLogin.ts): GET /auth/web/:appid/authorize, GET /auth/web/:appid/callback,
 * POST /auth/web/ticket. Every answer is `Cache-Control: no-store` and `Referrer-Policy:
 * no-referrer`: a redirect carrying a state or a ticket must not be cached, nor leak its URL to
 * the next page as a Referer.
 */
import type Router from "@koa/router";
import type { Context, Next } from "koa";
import { finishWebLogin, redeemTicket, startWebLogin } from "../../commands/webLogin.js";
import type { AppDeps } from "../../deps.js";
import { loginRateLimits } from "../../middlewares/rateLimits.js";
import { validateBody } from "../../middlewares/validate.js";
import { presentLogin } from "../../presenters/login.js";
import { headerText } from "../../sessions/userAgent.js";
import { WebLoginStore } from "../../web/webLoginStore.js";
import { createRouter } from "../router.js";
import { type TicketBody, ticketBody } from "./schema.js";

/** The cookie binding a login's state to the browser that started it. */
const STATE_COOKIE = "tongxing_web_state";

async function noStore(ctx: Context, next: Next): Promise<void> {
  ctx.set("Cache-Control", "no-store");
  ctx.set("Referrer-Policy", "no-referrer");
  await next();
}

const queryText = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

export function webRoutes(deps: AppDeps): Router {
  const router = createRouter("/auth/web");
  const store = new WebLoginStore(deps.redis, deps.config.redisKeyPrefix);
  const limits = loginRateLimits(deps.redis, deps.config.redisKeyPrefix, deps.config.loginRateLimit);
  // HttpOnly, SameSite=Lax (sent on WeChat's top-level redirect back), Secure when tongxing is
  // served over https (PUBLIC_URL; required in production), path-scoped to these routes.
  const secure = deps.config.web?.publicUrl.startsWith("https://") ? "; Secure" : "";
  const cookie = (value: string, maxAge: number) =>
    `${STATE_COOKIE}=${value}; Path=/auth/web/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
  router.use(noStore);

  router.get("/:appid/authorize", async function webAuthorize(ctx) {
    const { state, location } = await startWebLogin(deps, store, {
      appid: ctx.params.appid ?? "",
      returnTo: queryText(ctx.query.returnTo),
      scope: queryText(ctx.query.scope),
    });
    ctx.set("Set-Cookie", cookie(state, 600));
    ctx.redirect(location);
  });

  router.get("/:appid/callback", limits.byIp, async function webCallback(ctx) {
    const outcome = await finishWebLogin(deps, store, ctx.state.log, {
      appid: ctx.params.appid ?? "",
      code: queryText(ctx.query.code),
      state: queryText(ctx.query.state),
      cookieState: ctx.cookies.get(STATE_COOKIE) ?? "",
      ip: ctx.ip,
      userAgent: headerText(ctx.get("user-agent")),
    });
    ctx.set("Set-Cookie", cookie("", 0));
    ctx.redirect(`${outcome.returnTo}#${outcome.fragment}`);
  });

  router.post<{ body: TicketBody }>("/ticket", validateBody(ticketBody), async function webTicket(ctx) {
    const result = await redeemTicket(deps, store, ctx.state.body.ticket);
    ctx.state.userId = result.user.id;
    ctx.body = presentLogin(result);
  });

  return router;
}
