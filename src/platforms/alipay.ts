/**
 * Alipay alipay.system.oauth.token: exchanges a `my.getAuthCode` authCode for the user's ids.
 * https://opendocs.alipay.com/apis/api_9/alipay.system.oauth.token; its business errors
 * (isv.code-invalid, isv.unmatched-app-id, isp.unknow-error...) as the v3 page lists them:
 * https://zhifubao.apifox.cn/api-127203914; the gateway's common errors (20000, 40001, 40002,
 * 40006): https://opendocs.alipay.com/open/common/105806; signing ("自行实现签名"), mirrored at
 * https://juejin.cn/post/6844903816484110349.
 *
 * The request is a form POST to the gateway itself, signed with the app's RSA2 key: SHA256withRSA
 * (PKCS#1 v1.5) over every non-empty parameter but `sign`, sorted by name, as `k=v` joined by `&`.
 * The answer `{"alipay_system_oauth_token_response": {...}, "sign": "..."}` (or `error_response`)
 * is trusted only once `sign` verifies with Alipay's public key over the response object's exact
 * JSON text, cut from the body as it came: re-serialising would change escapes and key order and
 * fail a good signature. Alipay signs its error_response too; one without `sign` is still an error.
 *
 * Identity: `open_id` (apps created since 2023 get it instead of `user_id`), else `user_id`; the
 * unionid is `user_id`, Alipay's id of the person across apps. No session_key.
 */
import { createSign, createVerify } from "node:crypto";
import type { Logger } from "pino";
import { loginCodeInvalid, platformUnavailable } from "../errors.js";
import { callPlatform } from "./http.js";
import type { AlipayApp, CodeSession, ExchangeCode } from "./types.js";

const METHOD = "alipay.system.oauth.token";
const RESPONSE_KEY = "alipay_system_oauth_token_response";

/** sub_codes that refuse the code itself (bad, used or expired; or issued to another app). */
export const ALIPAY_CODE_REFUSALS: ReadonlySet<string> = new Set(["isv.code-invalid", "isv.unmatched-app-id"]);

/**
 * Alipay's `timestamp`: "yyyy-MM-dd HH:mm:ss" in Beijing time whatever this machine's zone.
 * China Standard Time is UTC+8 with no daylight saving since 1991, so a fixed offset is exact.
 */
export function alipayTimestamp(date: Date): string {
  return new Date(date.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
}

/** The string Alipay signs for a request: non-empty params but `sign`, sorted, `k=v&k=v`. */
export function alipaySigningString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== "sign" && params[k] !== "")
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

/** Base64 SHA256withRSA of `text` (UTF-8) with a PKCS#8 PEM private key. Throws on a bad key. */
export function rsa2Sign(text: string, privateKey: string): string {
  return createSign("RSA-SHA256").update(text, "utf8").sign(privateKey, "base64");
}

/** Whether `sign` is a valid SHA256withRSA signature of `text`. Throws on a bad key. */
export function rsa2Verify(text: string, sign: string, publicKey: string): boolean {
  return createVerify("RSA-SHA256").update(text, "utf8").verify(publicKey, sign, "base64");
}

/**
 * The exact JSON text of the object under the first `"key"` in `raw`, or undefined: scans from
 * the key's colon to the brace that closes its object, stepping over strings and escapes.
 */
export function responseText(raw: string, key: string): string | undefined {
  const keyAt = raw.indexOf(`"${key}"`);
  if (keyAt === -1) return undefined;
  const start = raw.indexOf("{", keyAt + key.length + 2);
  if (start === -1 || raw.slice(keyAt + key.length + 2, start).trim() !== ":") return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return raw.slice(start, i + 1);
  }
  return undefined;
}

function configError(log: Logger, app: AlipayApp, detail: Record<string, unknown>, msg: string): never {
  log.error({ platform: "alipay", appid: app.appid, app: app.name, ...detail }, msg);
  throw platformUnavailable("alipay");
}

/** The object under `key` once `sign` verifies over its exact text; an unsigned error_response passes as parsed. */
function verified(app: AlipayApp, log: Logger, text: string, body: Record<string, unknown>, key: string): Record<string, unknown> {
  const object = body[key] as Record<string, unknown>;
  const sign = body.sign;
  if (typeof sign !== "string" || !sign) {
    if (key === "error_response") return object;
    return configError(log, app, {}, "Alipay's answer carries no sign: refused");
  }
  const signed = responseText(text, key);
  let ok = false;
  try {
    ok = signed !== undefined && rsa2Verify(signed, sign, app.alipayPublicKey);
  } catch {
    return configError(log, app, {}, "this app's Alipay public key cannot verify signatures: check its alipayPublicKey");
  }
  if (!ok) return configError(log, app, {}, "Alipay's answer does not verify with this app's Alipay public key: refused");
  // What was verified is what is read: with a key given twice, JSON.parse keeps the last one.
  return JSON.parse(signed as string) as Record<string, unknown>;
}

function refusal(app: AlipayApp, log: Logger, error: Record<string, unknown>): never {
  const subCode = typeof error.sub_code === "string" ? error.sub_code : "";
  if (ALIPAY_CODE_REFUSALS.has(subCode)) {
    if (subCode === "isv.unmatched-app-id")
      log.warn({ platform: "alipay", appid: app.appid }, "an Alipay code issued to another app was sent to this one");
    throw loginCodeInvalid("alipay");
  }
  // 40001 (a parameter missing), 40002 (invalid signature, app id...), 40006 (no permission):
  // our request or this app's setup, never the user's code.
  const detail = { code: error.code, subCode };
  if (["40001", "40002", "40006"].includes(String(error.code)))
    return configError(log, app, detail, "Alipay refused this app's request: check its appid and keys");
  log.warn({ platform: "alipay", appid: app.appid, ...detail }, "unexpected Alipay oauth.token answer");
  throw platformUnavailable("alipay");
}

/**
 * Exchanges an Alipay authCode.
 * @returns openid (`open_id`, else `user_id`), unionid (`user_id` or null), sessionKey null
 * @throws AppError 401 LOGIN_CODE_INVALID (isv.code-invalid, isv.unmatched-app-id), 502
 *   PLATFORM_UNAVAILABLE (HTTP failures; 20000 after retries; an answer whose signature does
 *   not verify, or a key that cannot sign or verify, or 40001/40002/40006: logged as an error
 *   naming the app, never a key)
 */
export const exchangeAlipayCode: ExchangeCode<AlipayApp> = async (app, code, log, opts) => {
  const params: Record<string, string> = {
    app_id: app.appid,
    method: METHOD,
    charset: "utf-8",
    sign_type: "RSA2",
    timestamp: alipayTimestamp(new Date()),
    version: "1.0",
    grant_type: "authorization_code",
    code,
  };
  try {
    params.sign = rsa2Sign(alipaySigningString(params), app.privateKey);
  } catch {
    return configError(log, app, {}, "this app's Alipay private key cannot sign: check its privateKey (PKCS#8 PEM)");
  }
  const errorOf = (b: Record<string, unknown>) => b.error_response as Record<string, unknown> | undefined;
  const { body, text } = await callPlatform(
    {
      platform: "alipay",
      api: METHOD,
      url: opts.apiBase,
      method: "POST",
      form: params,
      outcomeOf: (b) => String(errorOf(b)?.sub_code ?? errorOf(b)?.code ?? "ok"),
      // 20000 is "service unavailable, try again later" (the common error codes page).
      busy: (b) => (String(errorOf(b)?.code) === "20000" ? `Alipay 20000 ${String(errorOf(b)?.sub_code)}` : undefined),
    },
    opts,
    log,
  );
  if (body.error_response && typeof body.error_response === "object")
    return refusal(app, log, verified(app, log, text, body, "error_response"));
  if (!body[RESPONSE_KEY] || typeof body[RESPONSE_KEY] !== "object") {
    log.warn({ platform: "alipay", appid: app.appid }, "unexpected Alipay oauth.token answer");
    throw platformUnavailable("alipay");
  }
  return identity(app, log, verified(app, log, text, body, RESPONSE_KEY));
};

function identity(app: AlipayApp, log: Logger, res: Record<string, unknown>): CodeSession {
  const userId = typeof res.user_id === "string" && res.user_id ? res.user_id : null;
  const openId = typeof res.open_id === "string" && res.open_id ? res.open_id : null;
  const openid = openId ?? userId;
  if (!openid) {
    log.warn({ platform: "alipay", appid: app.appid }, "Alipay oauth.token answer without open_id or user_id");
    throw platformUnavailable("alipay");
  }
  return { openid, unionid: userId, sessionKey: null };
}
