/**
 * The platforms whose globals are shaped like WeChat's `wx`: a `login` that gives `code`, a
 * `request` taking `header` and answering `{ statusCode, data, header }`, and key-value
 * `getStorageSync(key)` / `setStorageSync(key, value)` / `removeStorageSync(key)`.
 * - WeChat `wx`: https://developers.weixin.qq.com/miniprogram/dev/api/open-api/login/wx.login.html,
 *   https://developers.weixin.qq.com/miniprogram/dev/api/network/request/wx.request.html
 * - Douyin/Toutiao `tt`: https://developer.open-douyin.com/docs/resource/zh-CN/mini-app/develop/api/open-interface/log-in/tt-login,
 *   https://developer.open-douyin.com/docs/resource/zh-CN/mini-app/develop/api/network/http/tt-request
 * - QQ `qq`: https://q.qq.com/wiki/develop/miniprogram/API/open_port/port_login.html (qq.request as wx.request)
 * - Baidu `swan`: `swan.getLoginCode` (`code`), which replaces `swan.login`
 *   (https://smartprogram.baidu.com/docs/develop/api/open/log_swan-login/); swan.request as wx.request
 * - Kuaishou `ks`: ks.login (`code`) and ks.request as wx's (https://mp.kuaishou.com/docs/)
 */
import { TongxingError } from "../errors.js";
import type { WxError, WxLike } from "../wx.js";
import { failMessage, parseBody, type Runtime, requestFailed, withDeadline } from "./runtime.js";
import { wechatSoter } from "./soter.js";

/** A login call in wx's style: callbacks, the code in `success`'s `code`. */
export type CodeLogin = (opts: { timeout?: number; success?: (res: { code?: string }) => void; fail?: (err: WxError) => void }) => void;

/**
 * Douyin/Toutiao's `tt`. `tt.login` gives `code` only to a user logged in to the host app; with
 * `force` (default true) it shows the host's login dialog first. Its `anonymousCode` is not used:
 * tongxing exchanges `code`.
 */
export interface TtLike extends Omit<WxLike, "login"> {
  login(opts: {
    force?: boolean;
    success?: (res: { code?: string; anonymousCode?: string; isLogin?: boolean }) => void;
    fail?: (err: WxError) => void;
  }): void;
}

/** QQ's `qq`: the same shapes as `wx`. */
export type QqLike = WxLike;

/** Kuaishou's `ks`: the same shapes as `wx`. */
export type KsLike = WxLike;

/** Baidu's `swan`: `getLoginCode` where the base library has it, else the older `login`. */
export interface SwanLike extends Omit<WxLike, "login"> {
  getLoginCode?: CodeLogin;
  login?: CodeLogin;
}

/** The wx-shaped runtimes. */
export type NativeName = "wx" | "tt" | "qq" | "swan" | "ks";

/**
 * Adapts a wx-shaped global.
 * @param callName - how the login call is named in error messages, e.g. "swan.getLoginCode"
 * @param loginArgs - the login call's own parameters (only those its platform documents)
 */
function wxShaped(
  name: NativeName,
  api: Omit<WxLike, "login">,
  login: CodeLogin,
  callName: string,
  loginArgs: (timeout: number) => { timeout?: number },
): Runtime {
  // wx keeps its own code, as before the other platforms; the server answers the same way.
  const failCode = name === "wx" ? "WX_LOGIN_FAILED" : "LOGIN_FAILED";
  return {
    name,
    loginCode: (timeout) =>
      new Promise((resolve, reject) => {
        login.call(api, {
          ...loginArgs(timeout),
          success: (res) => (res?.code ? resolve(res.code) : reject(new TongxingError(failCode, 0, `${callName} gave no code`))),
          fail: (err) => reject(new TongxingError(failCode, 0, failMessage(err, `${callName} failed`))),
        });
      }),
    request: (req) =>
      withDeadline(req.timeout, (resolve, reject) =>
        api.request({
          url: req.url,
          method: req.method,
          data: req.data,
          header: req.header,
          timeout: req.timeout,
          success: (res) => resolve({ statusCode: res.statusCode, data: parseBody(res.data) }),
          fail: (err) => reject(requestFailed(err)),
        }),
      ),
    getStorage: (key) => api.getStorageSync(key),
    setStorage: (key, value) => api.setStorageSync(key, value),
    removeStorage: (key) => api.removeStorageSync(key),
  };
}

const withTimeout = (timeout: number) => ({ timeout });
const noArgs = () => ({});

/** WeChat's `wx`: `wx.login({ timeout })`, and SOTER for stepUp when the base library has it. */
export const wechatRuntime = (wx: WxLike): Runtime => ({
  ...wxShaped("wx", wx, wx.login, "wx.login", withTimeout),
  soter: wechatSoter(wx),
});

/** Douyin/Toutiao's `tt`: `tt.login()` (force defaults to true). */
export const douyinRuntime = (tt: TtLike): Runtime => wxShaped("tt", tt, tt.login as CodeLogin, "tt.login", noArgs);

/** QQ's `qq`: `qq.login({ timeout })`. */
export const qqRuntime = (qq: QqLike): Runtime => wxShaped("qq", qq, qq.login, "qq.login", withTimeout);

/** Kuaishou's `ks`: `ks.login()`. */
export const kuaishouRuntime = (ks: KsLike): Runtime => wxShaped("ks", ks, ks.login, "ks.login", noArgs);

/**
 * Baidu's `swan`: `swan.getLoginCode()`, or `swan.login({ timeout })` on a base library without it.
 * @throws TongxingError NO_RUNTIME when the object has neither
 */
export function baiduRuntime(swan: SwanLike): Runtime {
  if (swan.getLoginCode) return wxShaped("swan", swan, swan.getLoginCode, "swan.getLoginCode", noArgs);
  if (swan.login) return wxShaped("swan", swan, swan.login, "swan.login", withTimeout);
  throw new TongxingError("NO_RUNTIME", 0, "swan has neither getLoginCode nor login.");
}
