/**
 * Peer: Koa + an HS256 JWT verified with jose, the stateless alternative: no store, so nothing
 * to revoke (POST /logout can only forget the token client-side; the token passes until `exp`).
 * GET /healthz, POST /login?user=N → { token }, GET /session (Bearer; 401 without a valid one),
 * POST /logout.
 */
import { jwtVerify, SignJWT } from "jose";
import Koa from "koa";
import { announce, PORT, SECRET } from "./listen.js";

const key = new TextEncoder().encode(SECRET);
const app = new Koa();
app.use(async (ctx) => {
  const route = `${ctx.method} ${ctx.path}`;
  if (route === "GET /healthz") ctx.body = { status: "ok" };
  else if (route === "POST /login") {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(String(ctx.query.user ?? 1))
      .setIssuedAt()
      .setExpirationTime("7d")
      .sign(key);
    ctx.body = { token };
  } else if (route === "GET /session") {
    const token = /^Bearer (.+)$/.exec(ctx.get("authorization"))?.[1];
    try {
      if (!token) throw new Error("no token");
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
      ctx.body = { userId: Number(payload.sub) };
    } catch {
      ctx.status = 401;
      ctx.body = { error: "unauthenticated" };
    }
  } else if (route === "POST /logout") ctx.body = { ok: true };
});
announce(app.listen(PORT, "127.0.0.1"));
