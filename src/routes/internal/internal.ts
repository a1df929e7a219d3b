/**
 * The access_token as a service for the team's other backends (payments, subscribe messages, ...),
 * so that they stop fetching their own and knocking each other's out (the 40001 storms of
 * WxJava #369): one cached token per appid, one stable_token call per appid per token lifetime
 * across all instances and callers (wechat/accessToken.ts).
 *
 * - `GET /internal/wechat/access-token?appid=wx...` → `{accessToken, expiresAt}`; `expiresAt` is
 *   when tongxing's cache lets go of it (5 minutes before WeChat's expiry), so a caller may
 *   keep it until then.
 * - `POST /internal/wechat/access-token/invalidate` `{appid, accessToken}` → 204: a caller that
 *   got 40001/42001 hands back the token it used; it is dropped only if it is still the cached
 *   one (compare-and-delete), so a storm of callers causes one refresh.
 *
 * Both need `X-Tongxing-Service-Token: <SERVICE_TOKEN>` (401 SERVICE_UNAUTHORIZED); with
 * SERVICE_TOKEN unset the routes do not exist (404): adminGate in requireAdmin.ts guards the
 * whole /internal prefix. An optional `X-Tongxing-Caller: <name>` labels the metrics when
 * CALLER_NAMES lists it ("other" when it does not, "unnamed" when absent): a label per name sent
 * would let any token holder grow Prometheus without bound. Each caller so named has
 * INTERNAL_RATE_LIMIT requests per minute per IP (429 RATE_LIMITED). The token is never logged.
 */
import type Router from "@koa/router";
import type { Context } from "koa";
import type { WechatApp } from "../../config/config.js";
import type { AppDeps } from "../../deps.js";
import { internalRateLimit } from "../../middlewares/rateLimits.js";
import { validateBody } from "../../middlewares/validate.js";
import { createRouter } from "../router.js";
import { type InvalidateBody, invalidateBody } from "./schema.js";

/** The /internal routes: the access_token service. */
export function internalRoutes(deps: AppDeps): Router {
  const router = createRouter("/internal");
  const callers = new Set(deps.config.callerNames);
  /** The caller's bounded name: a CALLER_NAMES entry, "other", or "unnamed" (no header). */
  const callerOf = (ctx: Context): string => {
    const caller = ctx.get("x-tongxing-caller");
    if (caller === "") return "unnamed";
    return callers.has(caller) ? caller : "other";
  };
  const limit = internalRateLimit(deps.redis, deps.config.redisKeyPrefix, deps.config.internalRateLimit, callerOf);

  /** The app asked for (?appid= or the body's), else the only configured app. @throws 400 APP_UNKNOWN */
  const appFor = (appid: string | undefined) =>
    deps.apps.asWechat(deps.apps.resolve(appid, "name one with appid"), "The shared access_token");

  function count(ctx: Context, app: WechatApp, op: "get" | "invalidate"): void {
    deps.metrics.internalAccessToken.labels(app.appid, op, callerOf(ctx)).inc();
  }

  router.get("/wechat/access-token", limit, async function serveAccessToken(ctx) {
    const given = ctx.query.appid;
    const app = appFor(Array.isArray(given) ? given[0] : given);
    const { accessToken, expiresAt } = await deps.wechat.tokens(app).current(ctx.state.log);
    count(ctx, app, "get");
    ctx.body = { accessToken, expiresAt: new Date(expiresAt).toISOString() };
  });

  router.post<{ body: InvalidateBody }>(
    "/wechat/access-token/invalidate",
    limit,
    validateBody(invalidateBody),
    async function invalidateAccessToken(ctx) {
      const { body } = ctx.state;
      const app = appFor(body.appid);
      await deps.wechat.tokens(app).invalidate(body.accessToken);
      count(ctx, app, "invalidate");
      ctx.status = 204;
    },
  );

  return router;
}
