/**
 * The part of the mini-program `wx` object the client uses, typed here so that the package needs
 * no Node or browser typings (https://developers.weixin.qq.com/miniprogram/dev/api/).
 */

export interface WxRequestSuccess {
  statusCode: number;
  /** Parsed JSON when the response is JSON (wx.request's dataType "json"), else the text. */
  data: unknown;
  header: Record<string, string>;
}

export interface WxError {
  errMsg: string;
}

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

export interface WxLike {
  login(opts: { timeout?: number; success?: (res: { code: string }) => void; fail?: (err: WxError) => void }): void;
  request(opts: WxRequestOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
  removeStorageSync(key: string): void;
}
