/**
 * The one module that talks to WeChat's server API: code2Session (login), the phone number,
 * checkSession, and the shared access_token behind the last two.
 */
import type { Logger } from "pino";
import type { RedisClient } from "../clients/redis.js";
import type { Config, WechatApp } from "../config/config.js";
import { AppError, wechatUnavailable } from "../errors.js";
import { AccessTokenManager } from "./accessToken.js";
import { code2Session, type WechatSession } from "./code2Session.js";
import { sessionKeySignature } from "./dataCrypto.js";
import { callWechat, type WechatCallObserver } from "./http.js";
import { type WebGrant, type WebProfile, webAccessToken, webUserinfo } from "./oauth.js";

export const phoneCodeInvalid = () =>
  new AppError(400, "PHONE_CODE_INVALID", "The getPhoneNumber code is invalid, expired or already used; ask the user again.");

/** Hooks for metrics: each finished WeChat call, and each access_token fetched. */
export interface WechatObservers {
  call?: WechatCallObserver;
  tokenRefresh?: () => void;
}

/** WeChat's server API for each configured mini-program, with one shared access_token per appid. */
export class WechatClient {
  private readonly managers = new Map<string, AccessTokenManager>();

  constructor(
    private readonly wechat: Config["wechat"],
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly observers: WechatObservers = {},
  ) {}

  /** The app's access_token manager (cached and locked per appid in Redis: accessToken.ts). */
  tokens(app: WechatApp): AccessTokenManager {
    let manager = this.managers.get(app.appid);
    if (!manager) {
      manager = new AccessTokenManager(this.redis, {
        ...this.wechat,
        appid: app.appid,
        secret: app.secret,
        prefix: this.prefix,
        onRefresh: this.observers.tokenRefresh,
        observe: this.observers.call,
      });
      this.managers.set(app.appid, manager);
    }
    return manager;
  }

  /** See oauth.ts: a web authorization code of an Official Account or website app. */
  webAccessToken(log: Logger, app: { appid: string; secret: string }, code: string): Promise<WebGrant> {
    return webAccessToken({ ...this.wechat, appid: app.appid, secret: app.secret }, log, code, this.observers.call);
  }

  /** See oauth.ts. */
  webUserinfo(log: Logger, grant: WebGrant): Promise<WebProfile | null> {
    return webUserinfo(this.wechat, log, grant, this.observers.call);
  }

  /** See code2Session.ts. */
  code2Session(log: Logger, app: WechatApp, code: string): Promise<WechatSession> {
    return code2Session({ ...this.wechat, appid: app.appid, secret: app.secret }, log, code, this.observers.call);
  }

  /**
   * The phone number behind a getPhoneNumber button code (not a wx.login code).
   * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html
   * @returns phone_info.phoneNumber (with the country code for numbers outside mainland China)
   * @throws AppError 400 PHONE_CODE_INVALID, 502 WECHAT_UNAVAILABLE
   */
  async getPhoneNumber(log: Logger, app: WechatApp, code: string): Promise<string> {
    const body = await this.tokens(app).withToken(log, (token) =>
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
   * Asks WeChat whether a SOTER result (wx.startSoterAuthentication: fingerprint or face) was
   * signed by the user's device key.
   * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/soter/verifySignature.html
   * @returns WeChat's is_ok
   * @throws AppError 502 WECHAT_UNAVAILABLE
   */
  async verifySoter(log: Logger, app: WechatApp, openid: string, jsonString: string, jsonSignature: string): Promise<boolean> {
    const body = await this.tokens(app).withToken(log, (token) =>
      callWechat(
        this.wechat,
        log,
        "soterVerifySignature",
        `/cgi-bin/soter/verify_signature?access_token=${encodeURIComponent(token)}`,
        { openid, json_string: jsonString, json_signature: jsonSignature },
        this.observers.call,
      ),
    );
    if ((body.errcode ?? 0) === 0 && typeof body.is_ok === "boolean") return body.is_ok;
    log.warn({ errcode: body.errcode }, "unexpected soter verify_signature answer");
    throw wechatUnavailable();
  }

  /**
   * Asks WeChat whether this session_key is still the user's valid one (checkSessionKey).
   * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/checkSessionKey.html
   * @returns true when valid, false on 87009 (invalid signature: the key was replaced or expired)
   * @throws AppError 502 WECHAT_UNAVAILABLE
   */
  async checkSession(log: Logger, app: WechatApp, openid: string, sessionKey: string): Promise<boolean> {
    const body = await this.tokens(app).withToken(log, (token) => {
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
