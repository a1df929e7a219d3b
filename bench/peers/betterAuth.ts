/**
 * Peer: Better Auth's getSession on Koa, sessions in Redis as Better Auth's secondary storage
 * (users in its memory adapter: this instance's own, as the check reads user and session from
 * Redis). Cookie cache off unless BETTER_AUTH_COOKIE_CACHE=on (then a check may not see a
 * revocation until the cached cookie expires).
 * GET /healthz, POST /login?user=N (email sign-up), GET /session (401 without one), POST /logout.
 */
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { fromNodeHeaders } from "better-auth/node";
import { Redis } from "ioredis";
import Koa from "koa";
import { announce, PORT, REDIS_URL, SECRET } from "./listen.js";

const redis = new Redis(REDIS_URL);
const auth = betterAuth({
  secret: SECRET,
  baseURL: `http://127.0.0.1:${PORT}`,
  database: memoryAdapter({ user: [], session: [], account: [], verification: [] }),
  secondaryStorage: {
    get: (key) => redis.get(key),
    set: async (key, value, ttl) => {
      if (ttl) await redis.set(key, value, "EX", ttl);
      else await redis.set(key, value);
    },
    delete: async (key) => {
      await redis.del(key);
    },
    getAndDelete: (key) => redis.getdel(key),
    increment: async (key, ttl) => {
      const [[, value]] = (await redis.multi().incr(key).expire(key, ttl, "NX").exec()) as [[null, number]];
      return value;
    },
  },
  emailAndPassword: { enabled: true },
  session: { cookieCache: { enabled: process.env.BETTER_AUTH_COOKIE_CACHE === "on", maxAge: 300 } },
  telemetry: { enabled: false },
  rateLimit: { enabled: false },
});

const app = new Koa();
app.use(async (ctx) => {
  const route = `${ctx.method} ${ctx.path}`;
  const headers = fromNodeHeaders(ctx.req.headers);
  if (route === "GET /healthz") ctx.body = { status: "ok" };
  else if (route === "POST /login") {
    const user = String(ctx.query.user ?? 1);
    const signUp = await auth.api.signUpEmail({
      body: { email: `u${user}-${process.pid}-${Date.now()}@example.com`, password: "bench-password-1", name: user },
      returnHeaders: true,
    });
    for (const cookie of signUp.headers.getSetCookie()) ctx.res.appendHeader("set-cookie", cookie);
    ctx.body = { ok: true };
  } else if (route === "GET /session") {
    const found = await auth.api.getSession({ headers });
    if (!found) ctx.status = 401;
    ctx.body = found ? { userId: found.user.id } : { error: "unauthenticated" };
  } else if (route === "POST /logout") {
    await auth.api.signOut({ headers });
    ctx.body = { ok: true };
  }
});
announce(app.listen(PORT, "127.0.0.1"));
