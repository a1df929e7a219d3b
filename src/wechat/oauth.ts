/**
 * WeChat's web authorization (网页授权) behind Official Account pages and website QR login: the
 * code from the authorize redirect is exchanged for the user's openid (and unionid) with
 * `/sns/oauth2/access_token`; with `snsapi_userinfo` (or `snsapi_login`) `/sns/userinfo` gives the
 * nickname and avatar.
 * https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 * https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
 *
 * The access_token these give is the user's, used once here for userinfo and never stored
 * (tongxing keeps its own sessions); it is not the app's access_token (accessToken.ts).
 */
import type { Logger } from "pino";
import { wechatCodeInvalid, wechatUnavailable } from "../errors.js";
import { callWechat, type WechatCallObserver, type WechatHttpOptions } from "./http.js";

/** What the code exchange gives. */
export interface WebGrant {
  openid: string;
  unionid: string | null;
  /** The scope the user agreed to. */
  scope: string;
  /** A visitor of a snapshot page (朋友圈快照页) who has not really authorized: not to be logged in. */
  snapshotUser: boolean;
  /** The user's access_token: for userinfo only, never stored or logged. */
  accessToken: string;
}

/**
 * Exchanges a web authorization code.
 * @throws AppError 401 WECHAT_CODE_INVALID (40029, 40163: invalid or used; a code is single-use
 *   and a timed-out exchange is not repeated), 502 WECHAT_UNAVAILABLE (WeChat failing, or 40013,
 *   40125: the appid or secret, logged as an error naming the app)
 */
export async function webAccessToken(
  opts: WechatHttpOptions & { appid: string; secret: string },
  log: Logger,
  code: string,
  observe?: WechatCallObserver,
): Promise<WebGrant> {
  const query = new URLSearchParams({ appid: opts.appid, secret: opts.secret, code, grant_type: "authorization_code" });
  const body = await callWechat(
    { ...opts, idempotent: false },
    log,
    "oauth2AccessToken",
    `/sns/oauth2/access_token?${query}`,
    undefined,
    observe,
  );
  const errcode = typeof body.errcode === "number" ? body.errcode : 0;
  if (errcode === 0 && typeof body.openid === "string" && body.openid && typeof body.access_token === "string") {
    return {
      openid: body.openid,
      unionid: typeof body.unionid === "string" && body.unionid ? body.unionid : null,
      scope: typeof body.scope === "string" ? body.scope : "",
      snapshotUser: body.is_snapshotuser === 1,
      accessToken: body.access_token,
    };
  }
  if (errcode === 40029 || errcode === 40163) throw wechatCodeInvalid();
  if (errcode === 40013 || errcode === 40125) {
    log.error({ errcode, appid: opts.appid }, "WeChat rejected the web app's appid/secret: check APPS");
  } else {
    log.warn({ errcode }, "unexpected oauth2/access_token answer");
  }
  throw wechatUnavailable();
}

/** What userinfo gives that a new user's profile takes. */
export interface WebProfile {
  nickname: string | null;
  /** headimgurl, or null when the user has none. */
  avatarUrl: string | null;
}

/**
 * The user's nickname and avatar (scope snsapi_userinfo or snsapi_login).
 * @returns null when WeChat does not give them (the profile is a nicety: the login goes on)
 */
export async function webUserinfo(
  opts: WechatHttpOptions,
  log: Logger,
  grant: WebGrant,
  observe?: WechatCallObserver,
): Promise<WebProfile | null> {
  const query = new URLSearchParams({ access_token: grant.accessToken, openid: grant.openid, lang: "zh_CN" });
  try {
    const body = await callWechat(opts, log, "userinfo", `/sns/userinfo?${query}`, undefined, observe);
    if (typeof body.errcode === "number" && body.errcode !== 0) {
      log.warn({ errcode: body.errcode }, "userinfo refused: logging in without a profile");
      return null;
    }
    return {
      nickname: typeof body.nickname === "string" && body.nickname ? body.nickname : null,
      avatarUrl: typeof body.headimgurl === "string" && body.headimgurl ? body.headimgurl : null,
    };
  } catch {
    return null;
  }
}
