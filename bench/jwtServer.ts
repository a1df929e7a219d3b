/**
 * Bench-only: tongxing's own app (same middleware: request log, metrics, error handler,
 * helmet, body parser) with one more route, GET /bench/jwt-session, authenticated by verifying
 * an HS256 JWT with jose instead of a Redis session: the usual alternative, measured on equal
 * terms. Never part of the service. Prints the same "tongxing listening" line as main.ts.
 */
import { jwtVerify } from "jose";
import { loadConfig } from "../src/config.js";
import { tokenInvalid, tokenMissing } from "../src/errors.js";
import { createLogger } from "../src/log.js";
import { readBearer } from "../src/middlewares/auth.js";
import { createRouter } from "../src/routes/router.js";
import { startServer } from "../src/server.js";
import { JWT_SECRET } from "./jwtSecret.js";

const config = loadConfig();
const log = createLogger(config.logLevel);
const running = await startServer(config, log, {
  extraRouters: () => {
    const router = createRouter();
    router.get("/bench/jwt-session", async function jwtSession(ctx) {
      const token = readBearer(ctx);
      if (!token) throw tokenMissing("Authorization");
      let claims: { sub?: string; sid?: string; iat?: number; exp?: number };
      try {
        ({ payload: claims } = await jwtVerify(token, JWT_SECRET, { algorithms: ["HS256"] }));
      } catch {
        throw tokenInvalid();
      }
      ctx.body = {
        sessionId: claims.sid,
        userId: Number(claims.sub),
        createdAt: new Date((claims.iat ?? 0) * 1000).toISOString(),
        lastSeenAt: new Date((claims.iat ?? 0) * 1000).toISOString(),
        expiresAt: new Date((claims.exp ?? 0) * 1000).toISOString(),
      };
    });
    return [router];
  },
});
log.info({ url: running.url }, "tongxing listening");
process.on("SIGTERM", () => running.stop(5000).then(() => process.exit(0)));
