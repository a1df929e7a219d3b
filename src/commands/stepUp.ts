/**
 * Step-up: the person proves they are holding the phone before a sensitive change (a payment
 * setting, a withdrawal), beyond the session a silent wx.login gave: a fingerprint or face check
 * through WeChat SOTER, or the phone number bound to the account. Success marks this session
 * stepped up for STEP_UP_TTL seconds; the team's API asks for it with the library's
 * requireStepUp (or X-Tongxing-Elevated-Until). docs/security.md, "Step-up", has the threat model.
 *
 * SOTER: the mini-program gets a challenge from tongxing, passes it as wx.startSoterAuthentication's
 * `challenge`, and sends back resultJSON and resultJSONSignature; tongxing checks that the
 * resultJSON's `raw` is this session's challenge (single use, 2 minutes) and has WeChat verify
 * the device key's signature.
 * https://developers.weixin.qq.com/miniprogram/dev/api/open-api/soter/wx.startSoterAuthentication.html
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/soter/verifySignature.html
 */
import { createHash, randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { SessionRecord } from "../../verifier/src/record.js";
import { publicSessionId } from "../../verifier/src/token.js";
import type { AppDeps } from "../deps.js";
import { AppError, appUnknown } from "../errors.js";

/** Seconds a challenge stays valid: the fingerprint prompt's time, with room. */
export const CHALLENGE_TTL = 120;

export const stepUpFailed = (why: string) => new AppError(401, "STEP_UP_FAILED", `The check did not pass: ${why}.`);
export const noPhone = () => new AppError(409, "NO_PHONE", "This account has no bound phone number; use another method.");

const challengeKey = (deps: Pick<AppDeps, "config">, r: SessionRecord) => `${deps.config.redisKeyPrefix}stepup:{u${r.userId}}:${r.sid}`;
const hash = (s: string) => createHash("sha256").update(s).digest("base64url");

/** A new single-use challenge for this session (the previous one, if any, no longer counts). */
export async function newChallenge(deps: Pick<AppDeps, "config" | "redis">, session: SessionRecord): Promise<string> {
  const challenge = randomBytes(24).toString("base64url");
  await deps.redis.set(challengeKey(deps, session), hash(challenge), "EX", CHALLENGE_TTL);
  return challenge;
}

/** The outcome of a step-up: when it counts until (ISO 8601). */
export interface SteppedUp {
  elevatedUntil: string;
}

/**
 * Checks a SOTER result against this session's challenge and WeChat.
 * @throws AppError 401 STEP_UP_FAILED (no or another challenge, a signature WeChat refuses),
 *   400 INVALID_REQUEST is the route's, 502 WECHAT_UNAVAILABLE
 */
export async function stepUpWithSoter(
  deps: AppDeps,
  log: Logger,
  session: SessionRecord,
  input: { resultJSON: string; resultJSONSignature: string; ip: string },
): Promise<SteppedUp> {
  let raw: unknown;
  try {
    raw = (JSON.parse(input.resultJSON) as { raw?: unknown }).raw;
  } catch {
    return fail(deps, session, input.ip, "resultJSON is not JSON");
  }
  const stored = await deps.redis.getdel(challengeKey(deps, session));
  if (typeof raw !== "string" || !stored || stored !== hash(raw))
    return fail(deps, session, input.ip, "resultJSON's raw is not this session's challenge");
  const app = deps.apps.find(session.appid);
  if (!app) throw appUnknown(`This session's mini-program ${session.appid} is no longer configured; log in again.`);
  const ok = await deps.wechat.verifySoter(
    log,
    deps.apps.asWechat(app, "Step-up"),
    session.openid,
    input.resultJSON,
    input.resultJSONSignature,
  );
  if (!ok) return fail(deps, session, input.ip, "WeChat did not verify the fingerprint or face result");
  return succeed(deps, session, input.ip, "soter");
}

/**
 * Checks that a getPhoneNumber code's number is the account's bound phone.
 * @throws AppError 409 NO_PHONE, 401 STEP_UP_FAILED, 400 PHONE_CODE_INVALID, 502
 */
export async function stepUpWithPhone(
  deps: AppDeps,
  log: Logger,
  session: SessionRecord,
  input: { code: string; ip: string },
): Promise<SteppedUp> {
  const user = await deps.prisma.user.findUnique({ where: { id: session.userId }, select: { phone: true } });
  if (!user?.phone) throw noPhone();
  const app = deps.apps.find(session.appid);
  if (!app) throw appUnknown(`This session's mini-program ${session.appid} is no longer configured; log in again.`);
  const phone = await deps.wechat.getPhoneNumber(log, deps.apps.asWechat(app, "Step-up"), input.code);
  if (phone !== user.phone) return fail(deps, session, input.ip, "the phone number is not the account's");
  return succeed(deps, session, input.ip, "phone");
}

async function succeed(deps: AppDeps, session: SessionRecord, ip: string, method: string): Promise<SteppedUp> {
  const done = await deps.sessions.elevate(session, deps.config.session.stepUpTtl);
  if (!done) return fail(deps, session, ip, "the session ended meanwhile");
  deps.audit.record([
    {
      action: "step_up",
      actor: "user",
      userId: session.userId,
      sessionId: publicSessionId(session.userId, session.sid),
      ip,
      detail: method,
    },
  ]);
  return { elevatedUntil: new Date(done.until).toISOString() };
}

function fail(deps: AppDeps, session: SessionRecord, ip: string, why: string): never {
  deps.audit.record([
    {
      action: "step_up_failed",
      actor: "user",
      userId: session.userId,
      sessionId: publicSessionId(session.userId, session.sid),
      ip,
      detail: why,
    },
  ]);
  throw stepUpFailed(why);
}
