/**
 * auth.code2Session: exchanges a wx.login code for openid, unionid and session_key.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
 *
 * A code is single-use, so 40029, 40163 and 40226 are never retried, nor is a timeout (the
 * request most likely reached WeChat and spent the code: a retry would get 40163 and tell the
 * client its code was bad when WeChat was the one that failed); callWechat retries -1, 5xx and
 * network errors. No access_token is involved.
 */
import type { Logger } from "pino";
import { rateLimited, wechatCodeInvalid, wechatUnavailable, wechatUserBlocked } from "../errors.js";
import { callWechat, type WechatCallObserver, type WechatHttpOptions } from "./http.js";

/** What code2Session gives on success. session_key is base64 text (16 bytes decoded). */
export interface WechatSession {
  openid: string;
  unionid: string | null;
  sessionKey: string;
}

/**
 * Calls code2Session.
 * @returns openid, unionid (null when the appid has no Open Platform binding) and session_key
 * @throws AppError 401 WECHAT_CODE_INVALID (40029, 40163), 403 WECHAT_USER_BLOCKED (40226),
 *   429 RATE_LIMITED (45011), 502 WECHAT_UNAVAILABLE (retries exhausted, or a configuration
 *   error such as 40013/40125, which is logged for the operator)
 */
export async function code2Session(
  opts: WechatHttpOptions & { appid: string; secret: string },
  log: Logger,
  code: string,
  observe?: WechatCallObserver,
): Promise<WechatSession> {
  const query = new URLSearchParams({ appid: opts.appid, secret: opts.secret, js_code: code, grant_type: "authorization_code" });
  // The code is spent by any request that reached WeChat: a timed-out exchange is not repeated.
  const body = await callWechat({ ...opts, idempotent: false }, log, "code2Session", `/sns/jscode2session?${query}`, undefined, observe);
  const errcode = typeof body.errcode === "number" ? body.errcode : 0;
  if (errcode === 0 && typeof body.openid === "string" && body.openid && typeof body.session_key === "string" && body.session_key) {
    return {
      openid: body.openid,
      unionid: typeof body.unionid === "string" && body.unionid ? body.unionid : null,
      sessionKey: body.session_key,
    };
  }
  switch (errcode) {
    case 40029:
    case 40163:
      throw wechatCodeInvalid();
    case 40226:
      throw wechatUserBlocked();
    case 45011:
      throw rateLimited("WeChat's login frequency limit was reached for this user; try again in a minute.", 60);
    case 40013:
    case 40125:
      log.error({ errcode }, "WeChat rejected our appid/secret: check WECHAT_APPID and WECHAT_SECRET");
      throw wechatUnavailable();
    default:
      log.warn({ errcode }, "unexpected code2Session answer");
      throw wechatUnavailable();
  }
}
