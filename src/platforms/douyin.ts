/**
 * Douyin (Toutiao, ByteDance) code2Session: exchanges a `tt.login` code for openid, unionid and
 * session_key.
 * https://developer.open-douyin.com/docs/resource/zh-CN/mini-app/develop/server/log-in/code-2-session
 *
 * `POST /api/apps/v2/jscode2session` with JSON `{appid, secret, code}` answers
 * `{err_no, err_tips, log_id, data: {session_key, openid, anonymous_openid, unionid}}`; any
 * err_no other than 0 is an error. The v2 page's error table could not be read; the values below
 * are the v1 page's (same service; -1 system error, 40015 appid, 40017 secret, 40018 code,
 * 40019 anonymous_code, mirrored at https://m.w3cschool.cn/microapp/microapp-jdxg36av.html) and
 * 40014 "bad params" as Douyin's forum reports it
 * (https://developer.open-douyin.com/forum/question/post/5f6cbc49e3e53102259c514c). A used code
 * is 40018 too ("bad code", same forum). -1 is not retried: Douyin calls it a system error, not
 * "busy, try again", and the code may already be spent.
 */
import { loginCodeInvalid, platformUnavailable } from "../errors.js";
import { callPlatform } from "./http.js";
import type { ExchangeCode, SecretApp } from "./types.js";

/** Douyin's err_no values that code2Session interprets. */
export const DOUYIN_ERR = {
  systemError: -1,
  badParams: 40014,
  badAppid: 40015,
  badSecret: 40017,
  badCode: 40018,
  badAnonymousCode: 40019,
} as const;

/**
 * Exchanges a Douyin login code.
 * @returns openid, unionid (null when Douyin gives none) and session_key
 * @throws AppError 401 LOGIN_CODE_INVALID (40018: invalid, expired or used), 502
 *   PLATFORM_UNAVAILABLE (HTTP failures; 40015/40017, logged as an error naming the app; any
 *   other err_no, logged as a warning)
 */
export const exchangeDouyinCode: ExchangeCode<SecretApp> = async (app, code, log, opts) => {
  const { body } = await callPlatform(
    {
      platform: "douyin",
      api: "jscode2session",
      url: `${opts.apiBase}/api/apps/v2/jscode2session`,
      method: "POST",
      json: { appid: app.appid, secret: app.secret, code },
      outcomeOf: (b) => (b.err_no === 0 ? "ok" : String(b.err_no)),
    },
    opts,
    log,
  );
  const data = (body.data ?? {}) as Record<string, unknown>;
  if (body.err_no === 0 && typeof data.openid === "string" && data.openid && typeof data.session_key === "string" && data.session_key) {
    return {
      openid: data.openid,
      unionid: typeof data.unionid === "string" && data.unionid ? data.unionid : null,
      sessionKey: data.session_key,
    };
  }
  const errNo = body.err_no;
  switch (errNo) {
    // We send no anonymous_code, so 40019 should not come; if it does, the code is what Douyin refused.
    case DOUYIN_ERR.badCode:
    case DOUYIN_ERR.badAnonymousCode:
      throw loginCodeInvalid("douyin");
    case DOUYIN_ERR.badAppid:
    case DOUYIN_ERR.badSecret:
      log.error(
        { platform: "douyin", appid: app.appid, app: app.name, errNo },
        "Douyin rejected this app's appid/secret: check the app's configuration",
      );
      throw platformUnavailable("douyin");
    default:
      log.warn({ platform: "douyin", appid: app.appid, errNo, errTips: body.err_tips }, "unexpected Douyin code2Session answer");
      throw platformUnavailable("douyin");
  }
};
