/**
 * Baidu smart-program Session Key: exchanges a `swan.getLoginCode` code for openid and
 * session_key. Baidu gives no unionid through this exchange.
 * https://smartprogram.baidu.com/docs/develop/api/open/log_Session-Key/
 * (mirrored in swan-team/swan-docs, source/_posts/develop/api/open/log_Session-Key.md)
 *
 * `POST /oauth/jscode2sessionkey`, form `code, client_id (AppKey), sk (AppSecret)`, answers
 * `{openid, session_key}` or `{error, error_description}` (newer pages add `errno`). The doc
 * sends error values to Baidu's OAuth error list, which names `invalid_client` for unknown
 * client credentials and `invalid_grant` for a bad or expired code; which values this endpoint
 * really sends is not confirmed. So: an answer in error form is taken as a refused code, except
 * an `error` that names the client's credentials, which is this app's configuration at fault.
 */
import { loginCodeInvalid, platformUnavailable } from "../errors.js";
import { callPlatform } from "./http.js";
import type { ExchangeCode, SecretApp } from "./types.js";

/** OAuth `error` values that blame the client (our AppKey/AppSecret), not the code. */
export const BAIDU_CLIENT_ERRORS: ReadonlySet<string> = new Set(["invalid_client", "unauthorized_client"]);

/**
 * Exchanges a Baidu login code.
 * @returns openid, unionid null, session_key
 * @throws AppError 401 LOGIN_CODE_INVALID (an answer in error form), 502 PLATFORM_UNAVAILABLE
 *   (HTTP failures; `invalid_client`/`unauthorized_client`, logged as an error naming the app;
 *   an answer in neither form)
 */
export const exchangeBaiduCode: ExchangeCode<SecretApp> = async (app, code, log, opts) => {
  const { body } = await callPlatform(
    {
      platform: "baidu",
      api: "jscode2sessionkey",
      url: `${opts.apiBase}/oauth/jscode2sessionkey`,
      method: "POST",
      form: { code, client_id: app.appid, sk: app.secret },
      outcomeOf: (b) => (typeof b.error === "string" ? b.error : "ok"),
    },
    opts,
    log,
  );
  if (typeof body.openid === "string" && body.openid && typeof body.session_key === "string" && body.session_key) {
    return { openid: body.openid, unionid: null, sessionKey: body.session_key };
  }
  const error = body.error;
  if (typeof error === "string" && error) {
    if (BAIDU_CLIENT_ERRORS.has(error)) {
      log.error(
        { platform: "baidu", appid: app.appid, app: app.name, error },
        "Baidu rejected this app's AppKey/AppSecret: check the app's configuration",
      );
      throw platformUnavailable("baidu");
    }
    throw loginCodeInvalid("baidu");
  }
  log.warn({ platform: "baidu", appid: app.appid }, "unexpected Baidu jscode2sessionkey answer");
  throw platformUnavailable("baidu");
};
