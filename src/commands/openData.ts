/**
 * Open data with the session's server-side session_key: decrypt encryptedData (and check its
 * watermark), verify rawData signatures, ask WeChat whether the key is still valid, bind the
 * phone number.
 */
import type { Logger } from "pino";
import type { SessionRecord } from "../../verifier/src/record.js";
import type { WechatApp } from "../config/config.js";
import type { AppDeps } from "../deps.js";
import { appUnknown, decryptFailed, sessionKeyStale, watermarkExpired, watermarkMismatch } from "../errors.js";
import { userUpdated } from "../events/types.js";
import type { User } from "../generated/prisma/client.js";
import { DecryptError, decryptData, verifyRawDataSignature } from "../wechat/dataCrypto.js";

/** Seconds a watermark.timestamp may be ahead of our clock (clock skew between WeChat and us). */
const WATERMARK_MAX_SKEW = 60;

/**
 * The session's session_key. WeChat honours only the newest login's key per user; the stored one
 * is always the newest, and `current` says whether it came from this session's own login.
 * @throws AppError 409 SESSION_KEY_STALE when none is stored (expired), 503
 */
async function sessionKeyOf(deps: AppDeps, session: SessionRecord) {
  const entry = await deps.sessions.sessionKeyFor(session);
  if (!entry) throw sessionKeyStale();
  return entry;
}

/**
 * Decrypts encryptedData and checks its watermark.
 * Rules (开放数据校验与解密): watermark.appid must be the session's app; watermark.timestamp within
 * WECHAT_WATERMARK_MAX_AGE seconds in the past and at most 60 s in the future (0: not checked);
 * an openId in the data must be the session's.
 * @throws AppError 400 DECRYPT_FAILED, 409 SESSION_KEY_STALE (decryption failed and the user has
 *   logged in again since this session), 400 WATERMARK_MISMATCH, 400 WATERMARK_EXPIRED
 */
export async function decryptOpenData(
  deps: AppDeps,
  session: SessionRecord,
  encryptedData: string,
  iv: string,
): Promise<Record<string, unknown>> {
  const { sessionKey, current } = await sessionKeyOf(deps, session);
  let data: Record<string, unknown>;
  try {
    data = decryptData(sessionKey, encryptedData, iv);
  } catch (err) {
    if (err instanceof DecryptError && err.reason === "cipher" && !current) throw sessionKeyStale();
    throw decryptFailed();
  }
  const watermark = data.watermark as { appid?: unknown; timestamp?: unknown } | undefined;
  // The session's own app: data from another of the team's mini-programs is not this session's.
  if (!watermark || watermark.appid !== session.appid) throw watermarkMismatch("watermark.appid");
  const maxAge = deps.config.wechat.watermarkMaxAge;
  if (maxAge > 0) {
    const age = deps.clock() / 1000 - Number(watermark.timestamp);
    // WeChat stamps the data when it encrypts it: a timestamp ahead of our clock by more than a
    // small skew was not made by WeChat for this request (a replayed or forged payload).
    if (!(age <= maxAge && age >= -WATERMARK_MAX_SKEW)) throw watermarkExpired();
  }
  if (data.openId !== undefined && data.openId !== session.openid) throw watermarkMismatch("openId");
  return data;
}

/** Verifies sha1(rawData + session_key) against `signature`. @throws 409 SESSION_KEY_STALE, 503 */
export async function verifySignature(deps: AppDeps, session: SessionRecord, rawData: string, signature: string): Promise<boolean> {
  const { sessionKey } = await sessionKeyOf(deps, session);
  return verifyRawDataSignature(rawData, sessionKey, signature);
}

/**
 * Whether WeChat still honours the session's session_key. A key replaced by a newer login is
 * reported invalid without asking WeChat.
 * @throws AppError 502 WECHAT_UNAVAILABLE, 503
 */
export async function checkSessionKey(deps: AppDeps, log: Logger, session: SessionRecord): Promise<boolean> {
  const entry = await deps.sessions.sessionKeyFor(session);
  if (!entry?.current) return false;
  return deps.wechat.checkSession(log, appOf(deps, session, "This route"), session.openid, entry.sessionKey);
}

/**
 * The session's app, for a call under its access_token.
 * @throws AppError 400 APP_UNKNOWN when the app has been removed from the configuration since
 */
function appOf(deps: AppDeps, session: SessionRecord, what: string): WechatApp {
  const app = deps.apps.find(session.appid);
  if (!app) throw appUnknown(`This session's mini-program ${session.appid} is no longer configured; log in again.`);
  return deps.apps.asWechat(app, what);
}

/**
 * Exchanges a getPhoneNumber button code (of the session's app) for the phone number and stores
 * it on the user, with a user.updated event (`changed: ["phone"]`, never the number) when it is a
 * new number.
 * @throws AppError 400 PHONE_CODE_INVALID, 400 APP_UNKNOWN, 502 WECHAT_UNAVAILABLE, 503
 */
export async function bindPhone(deps: AppDeps, log: Logger, session: SessionRecord, code: string): Promise<User> {
  const phone = await deps.wechat.getPhoneNumber(log, appOf(deps, session, "This route"), code);
  return deps.prisma.$transaction(async (tx) => {
    const before = await tx.user.findUnique({ where: { id: session.userId }, select: { phone: true } });
    const user = await tx.user.update({ where: { id: session.userId }, data: { phone } });
    if (before?.phone !== phone) await deps.events.record(tx, [userUpdated(session.userId, { phone: true })]);
    return user;
  });
}
