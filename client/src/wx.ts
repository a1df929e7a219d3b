/**
 * The part of WeChat's `wx` object the client uses, typed here so that the package needs no Node
 * or browser typings (https://developers.weixin.qq.com/miniprogram/dev/api/). `tt`, `qq`, `ks`,
 * `swan` and `uni` share these shapes (runtimes/native.ts, runtimes/uni.ts).
 */

/** What `wx.request` answers, whatever the status. */
export interface WxRequestSuccess {
  statusCode: number;
  /** Parsed JSON when the response is JSON (wx.request's dataType "json"), else the text. */
  data: unknown;
  header: Record<string, string>;
}

/** A failed call: its message, e.g. "request:fail timeout". */
export interface WxError {
  errMsg: string;
}

/** The options of `wx.request` the client sets. */
export interface WxRequestOptions {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  /** Milliseconds. */
  timeout?: number;
  success?: (res: WxRequestSuccess) => void;
  fail?: (err: WxError) => void;
}

/** A SOTER mode: fingerprint or face (WeChat also names "speech", which it does not support yet). */
export type SoterAuthMode = "fingerPrint" | "facial";

/** What wx.startSoterAuthentication answers, in `success` and (with `errCode`, empty results) in `fail`. */
export interface SoterAuthResult {
  authMode?: string;
  /** JSON made in the device's TEE; its `raw` is the challenge passed in. */
  resultJSON: string;
  /** The device's SOTER key's signature of resultJSON (SHA256 with RSA/PSS), verified by WeChat. */
  resultJSONSignature: string;
  /** 0 on success; e.g. 90008 the user cancelled, 90011 nothing enrolled (runtimes/soter.ts lists them). */
  errCode?: number;
  errMsg: string;
}

/**
 * The part of `wx` the client uses: login, request, key-value sync storage, and for `stepUp`
 * WeChat's SOTER calls (base library 1.5.0+, so optional).
 * https://developers.weixin.qq.com/miniprogram/dev/api/open-api/soter/wx.startSoterAuthentication.html
 */
export interface WxLike {
  login(opts: { timeout?: number; success?: (res: { code: string }) => void; fail?: (err: WxError) => void }): void;
  request(opts: WxRequestOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
  removeStorageSync(key: string): void;
  /** The SOTER modes the device has (`supportMode`, possibly empty); `fail` when it has none. */
  checkIsSupportSoterAuthentication?(opts: {
    success?: (res: { supportMode?: string[]; errMsg?: string }) => void;
    fail?: (err: WxError) => void;
  }): void;
  /** Whether a fingerprint or face is enrolled for `checkAuthMode`. */
  checkIsSoterEnrolledInDevice?(opts: {
    checkAuthMode: SoterAuthMode;
    success?: (res: { isEnrolled?: boolean; errMsg?: string }) => void;
    fail?: (err: WxError) => void;
  }): void;
  /** Prompts for the fingerprint or face and signs `challenge` in the device's TEE. */
  startSoterAuthentication?(opts: {
    requestAuthModes: SoterAuthMode[];
    challenge: string;
    /** The prompt's text (at most 42 characters). */
    authContent?: string;
    success?: (res: SoterAuthResult) => void;
    fail?: (err: SoterAuthResult) => void;
  }): void;
}
