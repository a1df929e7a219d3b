/**
 * Taro's `Taro` object. Taro is imported (`import Taro from "@tarojs/taro"`), never a global, so
 * the client cannot find it: pass it as `createClient({ runtime: { taro: Taro } })`. Taro maps
 * each call onto the platform it was compiled for (on Alipay `Taro.login` calls
 * `my.getAuthCode({ scopes: "auth_base" })` and renames `authCode` to `code`; `Taro.request`
 * renames `headers`/`status`). Its calls return promises, which the client uses rather than
 * callbacks (a callback call still returns a promise that would reject unhandled).
 * - Taro.login: https://docs.taro.zone/docs/apis/open-api/login
 * - Taro.request: https://docs.taro.zone/docs/apis/network/request/
 * On Baidu, `Taro.login` calls `swan.login`, which Baidu has replaced by `swan.getLoginCode`:
 * there, pass the global instead, `runtime: { swan }`.
 */
import { TongxingError } from "../errors.js";
import { failMessage, parseBody, type Runtime, requestFailed, withDeadline } from "./runtime.js";

/** What `Taro.request` resolves to. */
export interface TaroRequestSuccess {
  statusCode: number;
  data: unknown;
  header?: Record<string, string>;
}

/** The part of Taro's `Taro` the client uses. */
export interface TaroLike {
  login(opts?: { timeout?: number }): Promise<{ code?: string }>;
  /** Returns a promise that is also the request task (`abort()`). */
  request(opts: {
    url: string;
    method?: string;
    data?: unknown;
    header?: Record<string, string>;
    timeout?: number;
  }): Promise<TaroRequestSuccess> & { abort?: () => unknown };
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
  removeStorageSync(key: string): void;
}

/** Adapts Taro's `Taro`. */
export function taroRuntime(taro: TaroLike): Runtime {
  return {
    name: "taro",
    loginCode: async (timeout) => {
      let res: { code?: string };
      try {
        res = await taro.login({ timeout });
      } catch (err) {
        throw new TongxingError("LOGIN_FAILED", 0, failMessage(err, "Taro.login failed"));
      }
      if (!res?.code) throw new TongxingError("LOGIN_FAILED", 0, "Taro.login gave no code");
      return res.code;
    },
    request: (req) =>
      withDeadline(req.timeout, (resolve, reject) => {
        const task = taro.request({ url: req.url, method: req.method, data: req.data, header: req.header, timeout: req.timeout });
        task.then(
          (res) => resolve({ statusCode: res.statusCode, data: parseBody(res.data) }),
          (err: unknown) => reject(requestFailed(err)),
        );
        return task;
      }),
    getStorage: (key) => taro.getStorageSync(key),
    setStorage: (key, value) => taro.setStorageSync(key, value),
    removeStorage: (key) => taro.removeStorageSync(key),
  };
}
