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

/** The part of `wx` the client uses: login, request, and key-value sync storage. */
export interface WxLike {
  login(opts: { timeout?: number; success?: (res: { code: string }) => void; fail?: (err: WxError) => void }): void;
  request(opts: WxRequestOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
  removeStorageSync(key: string): void;
}
