/**
 * uni-app's `uni`, which maps each call onto the platform it was compiled for (on Alipay,
 * `uni.login` calls `my.getAuthCode` and renames `authCode` to `code`; `uni.request` renames
 * `header`/`statusCode` to Alipay's `headers`/`status`; on Baidu `uni.login` calls
 * `swan.getLoginCode`), so the client talks to it in wx's shapes.
 * - uni.login: https://uniapp.dcloud.net.cn/api/plugins/login.html (`provider`, `timeout`; `code` in success)
 * - uni.getProvider: https://uniapp.dcloud.net.cn/api/plugins/provider.html (`service: "oauth"`)
 * - uni.request: https://uniapp.dcloud.net.cn/api/request/request.html
 */
import { TongxingError } from "../errors.js";
import type { WxError, WxLike } from "../wx.js";
import { failMessage, parseBody, type Runtime, requestFailed, withDeadline } from "./runtime.js";

/** The part of uni-app's `uni` the client uses. */
export interface UniLike extends Omit<WxLike, "login"> {
  login(opts: { provider?: string; timeout?: number; success?: (res: { code?: string }) => void; fail?: (err: WxError) => void }): void;
  getProvider?(opts: { service: "oauth"; success?: (res: { provider?: string[] }) => void; fail?: (err: WxError) => void }): void;
}

/**
 * Which `provider` to pass to uni.login: the one given, else the only OAuth provider
 * `uni.getProvider` reports. A mini-program build reports exactly one, its platform's ("weixin",
 * "alipay", "toutiao", "qq", "baidu", "kuaishou"); several (an App build) are not guessed among,
 * and uni.login then goes without.
 */
function oauthProvider(uni: UniLike): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (typeof uni.getProvider !== "function") return resolve(undefined);
    uni.getProvider({
      service: "oauth",
      success: (res) => resolve(res?.provider?.length === 1 ? res.provider[0] : undefined),
      fail: () => resolve(undefined),
    });
  });
}

/**
 * Adapts uni-app's `uni`.
 * @param provider - uni.login's `provider`; by default the one uni.getProvider reports
 */
export function uniRuntime(uni: UniLike, provider?: string): Runtime {
  let chosen: Promise<string | undefined> | undefined = provider === undefined ? undefined : Promise.resolve(provider);
  return {
    name: "uni",
    loginCode: async (timeout) => {
      chosen ??= oauthProvider(uni);
      const p = await chosen;
      return new Promise((resolve, reject) => {
        uni.login({
          ...(p !== undefined && { provider: p }),
          timeout,
          success: (res) => (res?.code ? resolve(res.code) : reject(new TongxingError("LOGIN_FAILED", 0, "uni.login gave no code"))),
          fail: (err) => reject(new TongxingError("LOGIN_FAILED", 0, failMessage(err, "uni.login failed"))),
        });
      });
    },
    request: (req) =>
      withDeadline(req.timeout, (resolve, reject) =>
        uni.request({
          url: req.url,
          method: req.method,
          data: req.data,
          header: req.header,
          timeout: req.timeout,
          success: (res) => resolve({ statusCode: res.statusCode, data: parseBody(res.data) }),
          fail: (err) => reject(requestFailed(err)),
        }),
      ),
    getStorage: (key) => uni.getStorageSync(key),
    setStorage: (key, value) => uni.setStorageSync(key, value),
    removeStorage: (key) => uni.removeStorageSync(key),
  };
}
