/**
 * GET (and HEAD) /auth/verify: forward auth. A gateway (nginx `auth_request`, Traefik
 * `forwardAuth`, Envoy `ext_authz`, Kong) or any backend calls it with the user's own token
 * headers; the token rules, renewal, ban and expiry are those of every authenticated route.
 *
 * - Live session: 200, not 204, because Envoy's HTTP ext_authz allows only 200; the identity in
 *   `X-Tongxing-*` headers (what a gateway copies to the upstream request) and as JSON (what a
 *   backend calling it directly reads), like Ory Kratos' `whoami`.
 * - openid and unionid only to a caller that proves it is the team's gateway or backend with
 *   `X-Tongxing-Service-Token`: the mini-program can call this route too, and openid stays off
 *   its path as everywhere else.
 * - Refusals carry `X-Tongxing-Error: <code>` besides the JSON body, because a gateway drops the
 *   subrequest's body (nginx auth_request) and can only pass headers on.
 */
import type Router from "@koa/router";
import type { Context, Middleware, Next } from "koa";
import type { SessionRecord } from "../../../verifier/src/record.js";
import type { AppDeps } from "../../deps.js";
import { AppError, serviceUnauthorized, withHeaders } from "../../errors.js";
import { secretDigest, secretMatches } from "../../middlewares/requireAdmin.js";
import { presentVerifiedSession } from "../../presenters/session.js";
import { createRouter } from "../router.js";

/** Header names of the forward-auth contract (the nginx template and the README use these). */
export const FORWARD_AUTH_HEADER = {
  userId: "X-Tongxing-User-Id",
  sessionId: "X-Tongxing-Session-Id",
  appid: "X-Tongxing-Appid",
  platform: "X-Tongxing-Platform",
  restrictions: "X-Tongxing-Restrictions",
  elevatedUntil: "X-Tongxing-Elevated-Until",
  openid: "X-Tongxing-Openid",
  unionid: "X-Tongxing-Unionid",
  error: "X-Tongxing-Error",
  reason: "X-Tongxing-Reason",
  serviceToken: "X-Tongxing-Service-Token",
} as const;

/** Adds X-Tongxing-Error to every refusal of the routes behind it, and X-Tongxing-Reason to a refused session's. */
async function forwardAuthErrors(_ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const reason = err.details?.reason;
    throw withHeaders(
      err,
      reason ? { [FORWARD_AUTH_HEADER.error]: err.code, [FORWARD_AUTH_HEADER.reason]: reason } : { [FORWARD_AUTH_HEADER.error]: err.code },
    );
  }
}

/** The answer to a live session's check: the X-Tongxing-* headers, in order, and the JSON body. */
export interface VerifiedAnswer {
  headers: [string, string][];
  body: VerifyBody;
}

/** The JSON body of a live session's check; openid and unionid only for the service caller. */
export interface VerifyBody {
  userId: number;
  sessionId: string;
  appid: string;
  platform: string;
  restrictions: string[];
  elevatedUntil: string | null;
  openid?: string;
  unionid?: string | null;
}

/**
 * What /auth/verify answers for a live session, shared by the route and the fast path
 * (verifyFastPath.ts) so that both answer alike.
 * @param serviceCaller - the caller proved to be the team's gateway or backend (SERVICE_TOKEN): openid and unionid are added
 * @param now - epoch ms: restrictions that lifted themselves and a step-up that ended by then are left out
 */
export function verifiedAnswer(record: SessionRecord, serviceCaller: boolean, now = Date.now()): VerifiedAnswer {
  const session = presentVerifiedSession(record, now);
  const headers: [string, string][] = [
    [FORWARD_AUTH_HEADER.userId, String(session.userId)],
    [FORWARD_AUTH_HEADER.sessionId, session.sessionId],
    [FORWARD_AUTH_HEADER.appid, session.appid],
    [FORWARD_AUTH_HEADER.platform, session.platform],
  ];
  const restrictions = session.restrictions.map((r) => r.name);
  // Only when there are some: nginx sends no header for an empty value, so the upstream sees none.
  if (restrictions.length) headers.push([FORWARD_AUTH_HEADER.restrictions, restrictions.join(",")]);
  const elevatedUntil = session.stepUp?.until.toISOString() ?? null;
  if (elevatedUntil) headers.push([FORWARD_AUTH_HEADER.elevatedUntil, elevatedUntil]);
  const body: VerifyBody = {
    userId: session.userId,
    sessionId: session.sessionId,
    appid: session.appid,
    platform: session.platform,
    restrictions,
    elevatedUntil,
  };
  if (!serviceCaller) return { headers, body };
  headers.push([FORWARD_AUTH_HEADER.openid, session.openid]);
  if (session.unionid) headers.push([FORWARD_AUTH_HEADER.unionid, session.unionid]);
  return { headers, body: { ...body, openid: session.openid, unionid: session.unionid } };
}

/**
 * Who is calling, by X-Tongxing-Service-Token against SERVICE_TOKEN (constant time, OWASP ASVS
 * V6.2): "service" when it equals it, "wrong" when it is sent and differs, "user" when it is not
 * sent or no SERVICE_TOKEN is set (the header is then ignored: openid is never sent). The rule of
 * the route and of the fast path (verifyFastPath.ts).
 * @param serviceToken - SERVICE_TOKEN, if set
 * @returns a function of the header's value ("" when absent)
 */
export function serviceCallerRule(serviceToken: string | undefined): (given: string) => "service" | "wrong" | "user" {
  const digest = serviceToken === undefined ? undefined : secretDigest(serviceToken);
  return (given) => {
    if (!digest || !given) return "user";
    return secretMatches(given, digest) ? "service" : "wrong";
  };
}

export function verifyRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/auth");
  const callerOf = serviceCallerRule(deps.config.serviceToken);

  /**
   * Sets ctx.state.serviceCaller for the team's gateway or backend (serviceCallerRule). Checked
   * before the session, so a gateway with a wrong token fails loudly on every request instead of
   * silently passing no openid.
   * @throws AppError 401 SERVICE_UNAUTHORIZED
   */
  async function serviceCaller(ctx: Context, next: Next): Promise<void> {
    const caller = callerOf(ctx.get(FORWARD_AUTH_HEADER.serviceToken));
    if (caller === "wrong") throw serviceUnauthorized();
    if (caller === "service") ctx.state.serviceCaller = true;
    await next();
  }

  // router.get serves HEAD too (@koa/router); Koa sends HEAD answers without their body.
  router.get("/verify", forwardAuthErrors, serviceCaller, auth, function verify(ctx) {
    const answer = verifiedAnswer(ctx.state.auth.session, ctx.state.serviceCaller === true);
    for (const [name, value] of answer.headers) ctx.set(name, value);
    ctx.body = answer.body;
  });

  return router;
}
