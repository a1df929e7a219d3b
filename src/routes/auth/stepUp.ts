/** POST /auth/step-up/challenge, POST /auth/step-up (commands/stepUp.ts). */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import { z } from "zod";
import { newChallenge, stepUpWithPhone, stepUpWithSoter } from "../../commands/stepUp.js";
import type { AppDeps } from "../../deps.js";
import { wechatCallRateLimit } from "../../middlewares/rateLimits.js";
import { requireWechatSession } from "../../middlewares/requireWechatSession.js";
import { validateBody } from "../../middlewares/validate.js";
import { createRouter } from "../router.js";

/** SOTER's result as the mini-program got it, or a getPhoneNumber code. */
export const stepUpBody = z.discriminatedUnion(
  "method",
  [
    z.object({
      method: z.literal("soter"),
      resultJSON: z.string().min(1, "must be wx.startSoterAuthentication's resultJSON").max(4096, "must be at most 4096 characters"),
      resultJSONSignature: z.string().min(1, "must be wx.startSoterAuthentication's resultJSONSignature").max(4096),
    }),
    z.object({ method: z.literal("phone"), code: z.string().min(1, "must be the getPhoneNumber button's code").max(128) }),
  ],
  { error: () => 'must be "soter" or "phone"' },
);
type StepUpBody = z.infer<typeof stepUpBody>;

export function stepUpRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/auth/step-up");
  // Both methods are WeChat's; each check spends a WeChat call, and a failure is a guess: the
  // per-user WeChat call limit bounds both.
  const limit = wechatCallRateLimit(deps.redis, deps.config.redisKeyPrefix, deps.config.wechatCallRateLimit);
  router.use(auth, requireWechatSession);

  router.post("/challenge", async function stepUpChallenge(ctx) {
    ctx.set("Cache-Control", "no-store");
    ctx.body = { challenge: await newChallenge(deps, ctx.state.auth.session) };
  });

  router.post<{ body: StepUpBody }>("/", validateBody(stepUpBody), limit, async function stepUp(ctx) {
    const { body } = ctx.state;
    const { session } = ctx.state.auth;
    ctx.body =
      body.method === "soter"
        ? await stepUpWithSoter(deps, ctx.state.log, session, { ...body, ip: ctx.ip })
        : await stepUpWithPhone(deps, ctx.state.log, session, { code: body.code, ip: ctx.ip });
  });

  return router;
}
