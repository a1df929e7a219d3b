/**
 * Alipay's `my`, which differs from `wx` in every call the client makes:
 * - the code comes from `my.getAuthCode({ scopes: "auth_base" })` as `authCode`; `auth_base` is
 *   the silent scope (no dialog) that the server's `alipay.system.oauth.token` exchange needs
 *   (https://opendocs.alipay.com/mini/api/openapi-authorize);
 * - `my.request` takes `headers` (not `header`) and answers `{ status, data, headers }` (not
 *   `statusCode`/`header`); its failures carry a numeric `error` (13 timeout, 19 HTTP error) and
 *   `errorMessage` (https://opendocs.alipay.com/mini/api/owycmh). It documents GET, POST, PUT and
 *   DELETE only, so PATCH (the client's `updateMe`) may be refused there;
 * - storage calls take objects: `getStorageSync({ key })` returns `{ data }`,
 *   `setStorageSync({ key, data })`, `removeStorageSync({ key })`.
 */
import { TongxingError } from "../errors.js";
import { failMessage, parseBody, type Runtime, withDeadline } from "./runtime.js";

/** A failed Alipay call: `error` is the numeric code, `errorMessage` its text. */
export interface MyError {
  error?: number;
  errorMessage?: string;
  /** Present with error 19 (an HTTP error status) on some clients. */
  status?: number;
  data?: unknown;
  headers?: Record<string, string>;
}

/** What `my.request` answers. */
export interface MyRequestSuccess {
  status: number;
  /** Text with dataType "text" (what the client asks for). */
  data: unknown;
  headers: Record<string, string>;
}

/** The options of `my.request` the client sets. */
export interface MyRequestOptions {
  url: string;
  method?: string;
  data?: unknown;
  headers?: Record<string, string>;
  /** Milliseconds (Alipay's default 30000). */
  timeout?: number;
  dataType?: "json" | "text" | "base64" | "arraybuffer";
  success?: (res: MyRequestSuccess) => void;
  fail?: (err: MyError) => void;
}

/** The part of Alipay's `my` the client uses. */
export interface MyLike {
  getAuthCode(opts: { scopes: string | string[]; success?: (res: { authCode?: string }) => void; fail?: (err: MyError) => void }): void;
  request(opts: MyRequestOptions): unknown;
  getStorageSync(opts: { key: string }): { data?: unknown; APDataStorage?: unknown } | null | undefined;
  setStorageSync(opts: { key: string; data: unknown }): void;
  removeStorageSync(opts: { key: string }): void;
}

const HTTP_ERROR = 19;
const TIMED_OUT = 13;

/** Adapts Alipay's `my`. */
export function alipayRuntime(my: MyLike): Runtime {
  return {
    name: "my",
    loginCode: () =>
      new Promise((resolve, reject) => {
        my.getAuthCode({
          scopes: "auth_base",
          success: (res) =>
            res?.authCode ? resolve(res.authCode) : reject(new TongxingError("LOGIN_FAILED", 0, "my.getAuthCode gave no authCode")),
          fail: (err) => reject(new TongxingError("LOGIN_FAILED", 0, describe(err, "my.getAuthCode"))),
        });
      }),
    request: (req) =>
      withDeadline(req.timeout, (resolve, reject) =>
        my.request({
          url: req.url,
          method: req.method,
          data: req.data,
          headers: req.header,
          timeout: req.timeout,
          // "json" fails the whole call (error 14) on a body that is not JSON, a 204's empty one
          // included; the client parses the text itself, as wx.request's "json" does.
          dataType: "text",
          success: (res) => resolve({ statusCode: res.status, data: parseBody(res.data) }),
          fail: (err) => {
            // An HTTP error status is still tongxing's answer (its JSON error body), when given.
            if (err?.error === HTTP_ERROR && typeof err.status === "number" && err.status >= 100) {
              resolve({ statusCode: err.status, data: parseBody(err.data) });
            } else {
              reject(new TongxingError(err?.error === TIMED_OUT ? "TIMEOUT" : "NETWORK_ERROR", 0, describe(err, "my.request")));
            }
          },
        }),
      ),
    getStorage: (key) => {
      const res = my.getStorageSync({ key });
      // Some Alipay clients return the value under APDataStorage (Taro's Alipay adapter handles it too).
      return res?.data ?? res?.APDataStorage;
    },
    setStorage: (key, value) => my.setStorageSync({ key, data: value }),
    removeStorage: (key) => my.removeStorageSync({ key }),
  };
}

function describe(err: MyError | undefined, call: string): string {
  const code = typeof err?.error === "number" ? ` (error ${err.error})` : "";
  return `${call} failed${code}: ${failMessage(err, "no message")}`;
}
