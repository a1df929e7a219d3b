/**
 * The one module that talks to WeChat's server API: code2Session (login), the phone number,
 * checkSession, and the shared access_token behind the last two.
 */
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { AppError, wechatUnavailable } from "../errors.js";
import type { RedisClient } from "../sessions/store.js";
import { AccessTokenManager } from "../wechat/accessToken.js";
import { code2Session, type WechatSession } from "../wechat/code2Session.js";
import { sessionKeySignature } from "../wechat/dataCrypto.js";
import { callWechat, type WechatCallObserver } from "../wechat/http.js";

export const phoneCodeInvalid = () =>
  new AppError(400, "PHONE_CODE_INVALID", "The getPhoneNumber code is invalid, expired or already used; ask the user again.");

/** Hooks for metrics: each finished WeChat call, and each access_token fetched. */
export interface WechatObservers {
  call?: WechatCallObserver;
  tokenRefresh?: () => void;
}

export class WechatClient {
  readonly tokens: AccessTokenManager;

  constructor(
    private readonly wechat: Config["wechat"],
    redis: RedisClient,
    prefix: string,
    private readonly observers: WechatObservers = {},
  ) {
    this.tokens = new AccessTokenManager(redis, { ...wechat, prefix, onRefresh: observers.tokenRefresh, observe: observers.call });
  }

  /** See code2Session.ts. */
  code2Session(log: Logger, code: string): Promise<WechatSession> {
    return code2Session(this.wechat, log, code, this.observers.call);
  }

  /**
   * The phone number behind a getPhoneNumber button code (not a wx.login code).
   * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html
   * @returns phone_info.phoneNumber (with the country code for numbers outside mainland China)
   * @throws AppError 400 PHONE_CODE_INVALID, 502 WECHAT_UNAVAILABLE
   */
  async getPhoneNumber(log: Logger, code: string): Promise<string> {
    const body = await this.tokens.withToken(log, (token) =>
      callWechat(
        // The button's code is single-use like a wx.login code: a timed-out call is not repeated.
        { ...this.wechat, idempotent: false },
        log,
        "getPhoneNumber",
        `/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(token)}`,
        { code },
        this.observers.call,
      ),
    );
    const phone = (body.phone_info as { phoneNumber?: unknown } | undefined)?.phoneNumber;
    if ((body.errcode ?? 0) === 0 && typeof phone === "string" && phone) return phone;
    if (body.errcode === 40029) throw phoneCodeInvalid();
    log.warn({ errcode: body.errcode }, "unexpected getuserphonenumber answer");
    throw wechatUnavailable();
  }

  /**
   * Asks WeChat whether this session_key is still the user's valid one (checkSessionKey).
   * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/checkSessionKey.html
   * @returns true when valid, false on 87009 (invalid signature: the key was replaced or expired)
   * @throws AppError 502 WECHAT_UNAVAILABLE
   */
  async checkSession(log: Logger, openid: string, sessionKey: string): Promise<boolean> {
    const body = await this.tokens.withToken(log, (token) => {
      const query = new URLSearchParams({
        access_token: token,
        signature: sessionKeySignature(sessionKey),
        openid,
        sig_method: "hmac_sha256",
      });
      return callWechat(this.wechat, log, "checkSession", `/wxa/checksession?${query}`, undefined, this.observers.call);
    });
    if ((body.errcode ?? 0) === 0) return true;
    if (body.errcode === 87009) return false;
    log.warn({ errcode: body.errcode }, "unexpected checksession answer");
    throw wechatUnavailable();
  }
}
