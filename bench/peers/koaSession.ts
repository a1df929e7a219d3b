/**
 * Peer: Koa + koa-session with koa-redis (given an ioredis 5 client), the usual Koa cookie
 * session. The cookie carries a signed random key; the session is a JSON string in Redis.
 * GET /healthz (no session), POST /login?user=N, GET /session (401 without one), POST /logout.
 */
import { Redis } from "ioredis";
import Koa from "koa";
// koa-redis ships no types; it takes an ioredis client and returns a koa-session store.
// @ts-expect-error no declaration file
import redisStore from "koa-redis";
import session from "koa-session";
import { announce, PORT, REDIS_URL, SECRET } from "./listen.js";

const app = new Koa();
app.keys = [SECRET];
const store = (redisStore as (options: { client: Redis }) => never)({ client: new Redis(REDIS_URL) });
app.use(session({ store, maxAge: 7 * 86_400_000, renew: false, rolling: false }, app));
app.use((ctx) => {
  const route = `${ctx.method} ${ctx.path}`;
  if (route === "GET /healthz") ctx.body = { status: "ok" };
  else if (route === "POST /login") {
    (ctx.session as { userId?: number }).userId = Number(ctx.query.user ?? 1);
    ctx.body = { ok: true };
  } else if (route === "GET /session") {
    const userId = (ctx.session as { userId?: number } | null)?.userId;
    if (userId === undefined) ctx.status = 401;
    ctx.body = userId === undefined ? { error: "unauthenticated" } : { userId };
  } else if (route === "POST /logout") {
    ctx.session = null;
    ctx.body = { ok: true };
  }
});
announce(app.listen(PORT, "127.0.0.1"));
