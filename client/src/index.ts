/**
 * tongxing-miniprogram: the client half of tongxing, for mini-programs on WeChat, Douyin/Toutiao,
 * Alipay, QQ, Baidu and Kuaishou, natively or through uni-app or Taro.
 *
 *   import { createClient } from "tongxing-miniprogram";
 *   const tx = createClient({ baseUrl: "https://api.example.com", appid: "tt0123456789abcdef" });
 *   const me = await tx.request({ url: "/me" });   // logs in first if needed
 *
 * What it gets right that hand-written wrappers usually don't:
 * - one login at a time: concurrent requests with no token (or a revoked one) share a single
 *   login code + POST /auth/login (single flight);
 * - a refused or unexchangeable code (401 WECHAT_CODE_INVALID / LOGIN_CODE_INVALID, 502) is
 *   retried once with a fresh code;
 * - a 401 TOKEN_MISSING / TOKEN_INVALID logs in again once and retries once, never in a loop;
 *   a request that failed with a token already replaced by a newer login just retries;
 * - the token lives in the runtime's storage, so it survives page changes and restarts;
 * - every failure is a TongxingError with the server's code, or NETWORK_ERROR / TIMEOUT.
 * Only the runtime's own object is used (runtimes/): no Node or browser APIs.
 */
import { findRuntime } from "./runtimes/detect.js";
import { answerError, type HttpResponse } from "./runtimes/runtime.js";
import type { ClientOptions, Profile, RequestOptions, SessionInfo, TongxingClient, User } from "./types.js";

export { TongxingError } from "./errors.js";
export type { MyError, MyLike, MyRequestOptions, MyRequestSuccess } from "./runtimes/alipay.js";
export type { RuntimeOption } from "./runtimes/detect.js";
export type { CodeLogin, KsLike, QqLike, SwanLike, TtLike } from "./runtimes/native.js";
export type { RuntimeName } from "./runtimes/runtime.js";
export type { TaroLike, TaroRequestSuccess } from "./runtimes/taro.js";
export type { UniLike } from "./runtimes/uni.js";
export type { ClientOptions, Profile, RequestOptions, SessionInfo, TongxingClient, User } from "./types.js";
export type { WxError, WxLike, WxRequestOptions, WxRequestSuccess } from "./wx.js";

const RELOGIN_CODES = new Set(["TOKEN_MISSING", "TOKEN_INVALID"]);
/** The platform refused the code (invalid, expired, already used): WeChat's name and the others'. */
const CODE_REFUSED = new Set(["WECHAT_CODE_INVALID", "LOGIN_CODE_INVALID"]);

type LoginResult = { user: User; isNewUser: boolean };

/**
 * Creates a client on the runtime passed in `options.runtime` (or `options.wx`), else the one
 * found: `uni`, then the globals `tt`, `my`, `qq`, `swan`, `ks`, `wx`.
 * @throws TongxingError NO_RUNTIME when there is no runtime (outside a mini-program, or Taro not passed)
 */
export function createClient(options: ClientOptions): TongxingClient {
  const runtime = findRuntime(options.runtime ?? (options.wx ? { wx: options.wx } : undefined));
  const base = options.baseUrl.replace(/\/+$/, "");
  const tokenHeader = options.tokenHeader ?? "X-WX-Token";
  const storageKey = options.storageKey ?? "tongxing.token";
  const timeout = options.timeout ?? 6000;
  let inflightLogin: Promise<LoginResult> | null = null;

  const getToken = (): string | null => {
    const t = runtime.getStorage(storageKey);
    return typeof t === "string" && t ? t : null;
  };

  function send(opts: RequestOptions, token: string | null): Promise<HttpResponse> {
    const header: Record<string, string> = { ...opts.header };
    if (opts.data !== undefined) header["content-type"] ??= "application/json";
    if (token) header[tokenHeader] = token;
    return runtime.request({
      url: /^https?:\/\//.test(opts.url) ? opts.url : base + opts.url,
      method: opts.method ?? "GET",
      data: opts.data,
      header,
      timeout,
    });
  }

  const ok = (res: HttpResponse) => res.statusCode >= 200 && res.statusCode < 300;

  // 502: the platform failed and may have spent the code; 401 *_CODE_INVALID: it refused the code
  // (e.g. one got before the app went to the background and expired). A fresh code may pass.
  const worthOneRetry = (res: HttpResponse) =>
    res.statusCode === 502 || (res.statusCode === 401 && CODE_REFUSED.has(answerError(res).code));

  function login(opts: { profile?: Profile } = {}): Promise<LoginResult> {
    if (inflightLogin) return inflightLogin;
    inflightLogin = (async () => {
      const exchange = async () => {
        const code = await runtime.loginCode(timeout);
        const data = { code, ...(options.appid !== undefined && { appid: options.appid }), ...(opts.profile && { profile: opts.profile }) };
        return send({ url: "/auth/login", method: "POST", data }, null);
      };
      let res = await exchange();
      // Once only: a second failure is the caller's, never a loop.
      if (worthOneRetry(res)) res = await exchange();
      if (!ok(res)) throw answerError(res);
      const body = res.data as { token: string; user: User; isNewUser: boolean };
      runtime.setStorage(storageKey, body.token);
      return { user: body.user, isNewUser: body.isNewUser };
    })();
    const settle = () => {
      inflightLogin = null;
    };
    inflightLogin.then(settle, settle);
    return inflightLogin;
  }

  async function ensureLogin(): Promise<void> {
    if (inflightLogin) await inflightLogin;
    else if (!getToken()) await login();
  }

  async function request<T>(opts: RequestOptions): Promise<T> {
    await ensureLogin();
    const token = getToken();
    let res = await send(opts, token);
    if (res.statusCode === 401 && RELOGIN_CODES.has(answerError(res).code)) {
      // Log in again only if nobody has since replaced the token that failed.
      if (inflightLogin) await inflightLogin;
      else if (getToken() === token) await login();
      res = await send(opts, getToken());
    }
    if (!ok(res)) throw answerError(res);
    return res.data as T;
  }

  async function logout(): Promise<void> {
    const token = getToken();
    try {
      if (token) await send({ url: "/auth/logout", method: "POST" }, token);
    } catch {
      // The server may be unreachable: the token is forgotten all the same.
    } finally {
      runtime.removeStorage(storageKey);
    }
  }

  return {
    login,
    ensureLogin,
    request,
    logout,
    getToken,
    me: () => request<User>({ url: "/me" }),
    updateMe: (profile) => request<User>({ url: "/me", method: "PATCH", data: profile }),
    bindPhone: (code) => request<User>({ url: "/me/phone", method: "POST", data: { code } }),
    sessions: async () => (await request<{ sessions: SessionInfo[] }>({ url: "/auth/sessions" })).sessions,
  };
}
