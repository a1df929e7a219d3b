/**
 * An example business API (orders) that uses tongxing's sessions, in the two ways a Node
 * backend can:
 *
 * - Behind the nginx gateway (TRUST_GATEWAY=1, as in compose.yaml): nginx has already checked
 *   the session with tongxing and set X-Tongxing-User-Id & co., replacing whatever the client
 *   sent. Trust those headers only because nothing but the gateway can reach this server.
 * - On its own (the default): the `@tongxing/verifier` package (verifier/ in tongxing's
 *   repository, ioredis its only dependency besides lru-cache) checks the user's token in tongxing's
 *   Redis, with the service's own expiry, renewal, revocation and ban rules.
 *
 * Environment: PORT (default 4000, 0 for any), HOST (default 127.0.0.1), REDIS_URL,
 * REDIS_KEY_PREFIX (the same values as tongxing's), TRUST_GATEWAY. The session timeouts are the
 * ones tongxing publishes in its Redis.
 */

import { createSessionVerifier, requireSession } from "@tongxing/verifier";
import Koa from "koa";

const trustGateway = process.env.TRUST_GATEWAY === "1" || process.env.TRUST_GATEWAY === "true";
const verifier = trustGateway
  ? null
  : createSessionVerifier({
      redis: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      keyPrefix: process.env.REDIS_KEY_PREFIX ?? "tx:",
    });

/** The user as the gateway vouched for them: the same shape requireSession gives. */
async function fromGateway(ctx, next) {
  const userId = Number(ctx.get("x-tongxing-user-id"));
  if (!Number.isInteger(userId) || userId <= 0) {
    ctx.status = 401;
    ctx.body = { error: { code: "TOKEN_MISSING", message: "Not called through the gateway." } };
    return;
  }
  ctx.state.session = {
    userId,
    sessionId: ctx.get("x-tongxing-session-id"),
    appid: ctx.get("x-tongxing-appid"),
    openid: ctx.get("x-tongxing-openid") || null,
    unionid: ctx.get("x-tongxing-unionid") || null,
  };
  await next();
}

const orders = new Map(); // userId → [{ id, item, at }]: a stand-in for your database
const app = new Koa();

app.use(async function health(ctx, next) {
  if (ctx.path === "/healthz") ctx.body = { status: "ok" };
  else await next();
});
app.use(trustGateway ? fromGateway : requireSession(verifier));
app.use(async function ordersApi(ctx) {
  const { userId } = ctx.state.session;
  const mine = orders.get(userId) ?? [];
  if (ctx.path === "/orders" && ctx.method === "GET") {
    ctx.body = { userId, orders: mine };
  } else if (ctx.path === "/orders" && ctx.method === "POST") {
    const order = { id: mine.length + 1, item: ctx.query.item ?? "tea", at: new Date().toISOString() };
    orders.set(userId, [...mine, order]);
    ctx.status = 201;
    ctx.body = order;
  } else {
    ctx.status = 404;
    ctx.body = { error: { code: "NOT_FOUND", message: "No such route." } };
  }
});

const server = app.listen(Number(process.env.PORT ?? 4000), process.env.HOST ?? "127.0.0.1", () => {
  const { address, port } = server.address();
  console.log(JSON.stringify({ msg: "business API listening", url: `http://${address}:${port}`, trustGateway }));
});
const stop = () =>
  server.close(async () => {
    await verifier?.close();
    process.exit(0);
  });
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
