/** POST /wechat/decrypt, POST /wechat/verify-signature, GET /wechat/session. */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import { checkSessionKey, decryptOpenData, verifySignature } from "../../commands/openData.js";
import type { AppDeps } from "../../deps.js";
import { wechatCallRateLimit } from "../../middlewares/rateLimits.js";
import { requireWechatSession } from "../../middlewares/requireWechatSession.js";
import { validateBody } from "../../middlewares/validate.js";
import { createRouter } from "../router.js";
import { type DecryptBody, decryptBody, type VerifySignatureBody, verifySignatureBody } from "./schema.js";

export function wechatRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/wechat");
  router.use(auth, requireWechatSession);

  router.post<{ body: DecryptBody }>("/decrypt", validateBody(decryptBody), async function decrypt(ctx) {
    const { encryptedData, iv } = ctx.state.body;
    ctx.body = { data: await decryptOpenData(deps, ctx.state.auth.session, encryptedData, iv) };
  });

  router.post<{ body: VerifySignatureBody }>("/verify-signature", validateBody(verifySignatureBody), async function verifyRawData(ctx) {
    const { rawData, signature } = ctx.state.body;
    ctx.body = { valid: await verifySignature(deps, ctx.state.auth.session, rawData, signature) };
  });

  router.get(
    "/session",
    wechatCallRateLimit(deps.redis, deps.config.redisKeyPrefix, deps.config.wechatCallRateLimit),
    async function checkSession(ctx) {
      ctx.body = { valid: await checkSessionKey(deps, ctx.state.log, ctx.state.auth.session) };
    },
  );

  return router;
}
