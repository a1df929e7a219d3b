/**
 * Bench-only: the library in a business API. One Koa app with `GET /orders` behind
 * createSessionVerifier + requireSession (the check in-process, against tongxing's Redis) and the
 * same handler unchecked at `GET /open/orders` (and `/healthz`), so their ratio is what the check
 * costs the app; `GET /uncached/orders` checks with the verifier's session cache off.
 */
import Koa from "koa";
import { createSessionVerifier, requireSession } from "../src/index.js";
import { announce, PORT, REDIS_URL } from "./peers/listen.js";

const verifier = createSessionVerifier({ redis: REDIS_URL, keyPrefix: process.env.REDIS_KEY_PREFIX });
const checked = requireSession(verifier);
const uncached = requireSession(createSessionVerifier({ redis: REDIS_URL, keyPrefix: process.env.REDIS_KEY_PREFIX, cache: false }));
const orders = { orders: [{ id: 1, total: 4200 }] };

const app = new Koa();
app.use(async function route(ctx, next) {
  if (ctx.path === "/orders") return checked(ctx, next);
  if (ctx.path === "/uncached/orders") return uncached(ctx, next);
  await next();
});
app.use(function listOrders(ctx) {
  ctx.body = orders;
});
announce(app.listen(PORT, "127.0.0.1"));
