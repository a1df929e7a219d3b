/**
 * QQ code2Session: exchanges a `qq.login` code for openid, unionid and session_key.
 * https://q.qq.com/wiki/develop/miniprogram/server/open_port/port_login.html#code2session
 * (mirrored at https://www.w3cschool.cn/qqxiaochengxu/qqxiaochengxu-c5fl3875.html)
 *
 * `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`, answered like
 * WeChat's: `{openid, session_key, unionid?}` or `{errcode, errmsg}`. QQ documents -1 (busy, try
 * again later), 40029 (invalid code) and 45011 (frequency limit). The rest are WeChat's values
 * for the same API, which QQ's is a copy of, assumed rather than documented: 40163 (code used),
 * 40013 (invalid appid), 40125 (invalid secret). -1 is retried as WeChat's is (the doc says to
 * try again); 45011 becomes a 502, as the exchange promises only 401 or 502.
 */
import { loginCodeInvalid, platformUnavailable } from "../errors.js";
import { callPlatform } from "./http.js";
import type { ExchangeCode, SecretApp } from "./types.js";

/** QQ's errcode values that code2Session interprets. */
export const QQ_ERR = {
  busy: -1,
  invalidCode: 40029,
  codeUsed: 40163,
  invalidAppid: 40013,
  invalidSecret: 40125,
  frequencyLimit: 45011,
} as const;

/**
 * Exchanges a QQ login code.
 * @returns openid, unionid (null unless the app is bound to a QQ open platform account) and session_key
 * @throws AppError 401 LOGIN_CODE_INVALID (40029, 40163), 502 PLATFORM_UNAVAILABLE (HTTP
 *   failures, -1 after retries, 40013/40125 logged as an error naming the app, anything else)
 */
export const exchangeQqCode: ExchangeCode<SecretApp> = async (app, code, log, opts) => {
  const query = new URLSearchParams({ appid: app.appid, secret: app.secret, js_code: code, grant_type: "authorization_code" });
  const { body } = await callPlatform(
    {
      platform: "qq",
      api: "jscode2session",
      url: `${opts.apiBase}/sns/jscode2session?${query}`,
      method: "GET",
      outcomeOf: (b) => (typeof b.errcode === "number" && b.errcode !== 0 ? String(b.errcode) : "ok"),
      busy: (b) => (b.errcode === QQ_ERR.busy ? "errcode -1 (system busy)" : undefined),
    },
    opts,
    log,
  );
  const errcode = typeof body.errcode === "number" ? body.errcode : 0;
  if (errcode === 0 && typeof body.openid === "string" && body.openid && typeof body.session_key === "string" && body.session_key) {
    return {
      openid: body.openid,
      unionid: typeof body.unionid === "string" && body.unionid ? body.unionid : null,
      sessionKey: body.session_key,
    };
  }
  switch (errcode) {
    case QQ_ERR.invalidCode:
    case QQ_ERR.codeUsed:
      throw loginCodeInvalid("qq");
    case QQ_ERR.invalidAppid:
    case QQ_ERR.invalidSecret:
      log.error(
        { platform: "qq", appid: app.appid, app: app.name, errcode },
        "QQ rejected this app's appid/secret: check the app's configuration",
      );
      throw platformUnavailable("qq");
    default:
      log.warn({ platform: "qq", appid: app.appid, errcode }, "unexpected QQ code2Session answer");
      throw platformUnavailable("qq");
  }
};
