/**
 * Kuaishou code2Session: exchanges a `ks.login` code for open_id and session_key. Kuaishou's
 * mini-program exchange is not documented to give a unionid (its mini-game one gives
 * `union_id`), so unionid is null.
 * https://mp.kuaishou.com/docs/develop/server/code2Session.html
 *
 * `POST /oauth2/mp/code2session`, form `app_id, app_secret, js_code`, answers
 * `{result: 1, session_key, open_id}`; any other `result` is an error. The code2Session page's
 * error table could not be read; Kuaishou's access_token page (same host, same app
 * credentials) documents 100200100 (parameters empty or wrong) and 100200101 (app_id and
 * app_secret failed verification): https://mp.kuaishou.com/docs/develop/server/getAccessToken.html
 * So 100200101 is this app's configuration at fault, and every other `result` a refused code.
 */
import { loginCodeInvalid, platformUnavailable } from "../errors.js";
import { callPlatform } from "./http.js";
import type { ExchangeCode, SecretApp } from "./types.js";

/** Kuaishou's `result` values that code2Session interprets. */
export const KUAISHOU_RESULT = {
  ok: 1,
  badParams: 100200100,
  badCredentials: 100200101,
} as const;

/**
 * Exchanges a Kuaishou login code.
 * @returns open_id as openid, unionid null, session_key
 * @throws AppError 401 LOGIN_CODE_INVALID (any `result` but 1 and 100200101), 502
 *   PLATFORM_UNAVAILABLE (HTTP failures; 100200101, logged as an error naming the app; an
 *   answer without `result`)
 */
export const exchangeKuaishouCode: ExchangeCode<SecretApp> = async (app, code, log, opts) => {
  const { body } = await callPlatform(
    {
      platform: "kuaishou",
      api: "code2session",
      url: `${opts.apiBase}/oauth2/mp/code2session`,
      method: "POST",
      form: { app_id: app.appid, app_secret: app.secret, js_code: code },
      outcomeOf: (b) => (b.result === KUAISHOU_RESULT.ok ? "ok" : String(b.result)),
    },
    opts,
    log,
  );
  const result = body.result;
  if (
    result === KUAISHOU_RESULT.ok &&
    typeof body.open_id === "string" &&
    body.open_id &&
    typeof body.session_key === "string" &&
    body.session_key
  ) {
    return { openid: body.open_id, unionid: null, sessionKey: body.session_key };
  }
  if (result === KUAISHOU_RESULT.badCredentials) {
    log.error(
      { platform: "kuaishou", appid: app.appid, app: app.name, result },
      "Kuaishou rejected this app's app_id/app_secret: check the app's configuration",
    );
    throw platformUnavailable("kuaishou");
  }
  if (typeof result === "number" && result !== KUAISHOU_RESULT.ok) throw loginCodeInvalid("kuaishou");
  log.warn({ platform: "kuaishou", appid: app.appid, result }, "unexpected Kuaishou code2session answer");
  throw platformUnavailable("kuaishou");
};
