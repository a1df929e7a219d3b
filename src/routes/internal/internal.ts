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
 * whole /internal prefix. An optional `X-Tongxing-Caller: <name>` labels the metrics. The token
 * is never logged.
 */
import type Router from "@koa/router";
import type { Context } from "koa";
import type { WechatApp } from "../../config.js";
import type { AppDeps } from "../../deps.js";
import { validateBody } from "../../middlewares/validate.js";
import { createRouter } from "../router.js";
import { type InvalidateBody, invalidateBody } from "./schema.js";

const CALLER = /^[A-Za-z0-9_.-]{1,32}$/;

export function internalRoutes(deps: AppDeps): Router {
  const router = createRouter("/internal");

  /** The app asked for (?appid= or the body's), else the only configured app. @throws 400 APP_UNKNOWN */
  const appFor = (appid: string | undefined) => deps.apps.resolve(appid, "name one with appid");

  function count(ctx: Context, app: WechatApp, op: "get" | "invalidate"): void {
    const caller = ctx.get("x-tongxing-caller");
    deps.metrics.internalAccessToken.labels(app.appid, op, CALLER.test(caller) ? caller : "unnamed").inc();
  }

  router.get("/wechat/access-token", async function serveAccessToken(ctx) {
    const given = ctx.query.appid;
    const app = appFor(Array.isArray(given) ? given[0] : given);
    const { accessToken, expiresAt } = await deps.wechat.tokens(app).current(ctx.state.log);
    count(ctx, app, "get");
    ctx.body = { accessToken, expiresAt: new Date(expiresAt).toISOString() };
  });

  router.post("/wechat/access-token/invalidate", validateBody(invalidateBody), async function invalidateAccessToken(ctx) {
    const body = ctx.state.body as InvalidateBody;
    const app = appFor(body.appid);
    await deps.wechat.tokens(app).invalidate(body.accessToken);
    count(ctx, app, "invalidate");
    ctx.status = 204;
  });

  return router;
}
