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
 * - a 401 TOKEN_MISSING, or a TOKEN_INVALID whose session lapsed (reason UNKNOWN or EXPIRED, or
 *   none from an older tongxing), logs in again once and retries once, never in a loop; a request
 *   that failed with a token already replaced by a newer login just retries;
 * - a session somebody ended (REPLACED by another device's login, REVOKED, BANNED, DELETED,
 *   LOGGED_OUT) is never renewed behind the person's back: the app is told once
 *   (`onSessionEnded`) and every request is refused locally until the app calls login();
 * - the token lives in the runtime's storage, so it survives page changes and restarts;
 * - every failure is a TongxingError with the server's code, or NETWORK_ERROR / TIMEOUT;
 * - stepUp() before a sensitive change: a fingerprint or face (WeChat SOTER) or the bound phone.
 * Only the runtime's own object is used (runtimes/): no Node or browser APIs.
 */
import type { TongxingError } from "./errors.js";
import { findRuntime } from "./runtimes/detect.js";
import { answerError, type HttpResponse } from "./runtimes/runtime.js";
import { endKeeper, sessionEndOf } from "./sessionEnd.js";
import { stepUp } from "./stepUp.js";
import type { ClientOptions, Profile, RequestOptions, SessionInfo, TongxingClient, User } from "./types.js";

export { TongxingError } from "./errors.js";
export type { MyError, MyLike, MyRequestOptions, MyRequestSuccess } from "./runtimes/alipay.js";
export type { RuntimeOption } from "./runtimes/detect.js";
export type { CodeLogin, KsLike, QqLike, SwanLike, TtLike } from "./runtimes/native.js";
export type { RuntimeName } from "./runtimes/runtime.js";
export type { TaroLike, TaroRequestSuccess } from "./runtimes/taro.js";
export type { UniLike } from "./runtimes/uni.js";
export type { SessionEnd, SessionEndReason } from "./sessionEnd.js";
export type { ClientOptions, Profile, RequestOptions, SessionInfo, SteppedUp, StepUpOptions, TongxingClient, User } from "./types.js";
export type { SoterAuthMode, SoterAuthResult, WxError, WxLike, WxRequestOptions, WxRequestSuccess } from "./wx.js";

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
  // Beside the token, so that an end outlives a restart: a restarted app logging in by itself
  // would push the other device out in turn.
  const ends = endKeeper(runtime, `${storageKey}.ended`, options.onSessionEnded);
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
      ends.clear();
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
    else if (!getToken()) {
      const ended = ends.refusal();
      if (ended) throw ended;
      await login();
    }
  }

  // The session of the token just refused was ended by somebody: forget the token, keep the end,
  // tell the app. Only while that token is still the stored one, so that requests refused
  // together tell the app once.
  function endSession(error: TongxingError, token: string | null): void {
    const end = sessionEndOf(error);
    if (!end || getToken() !== token) return;
    runtime.removeStorage(storageKey);
    ends.keep(end, error);
  }

  // What comes before the one retry of a refused token: a login under way is waited for; a lapsed
  // session (or TOKEN_MISSING) logs in again; an ended one rejects.
  async function afterRefusal(error: TongxingError, token: string | null): Promise<void> {
    if (inflightLogin) {
      await inflightLogin;
    } else if (getToken() === token) {
      if (sessionEndOf(error)) {
        endSession(error, token);
        throw error;
      }
      await login();
    } else {
      // Another request or the app replaced or dropped the token meanwhile: retry with the new
      // one, unless it was dropped because the session ended.
      const ended = ends.refusal();
      if (ended) throw ended;
    }
  }

  async function request<T>(opts: RequestOptions): Promise<T> {
    await ensureLogin();
    let token = getToken();
    let res = await send(opts, token);
    const refused = res.statusCode === 401 ? answerError(res) : null;
    if (refused && RELOGIN_CODES.has(refused.code)) {
      await afterRefusal(refused, token);
      token = getToken();
      res = await send(opts, token);
      // No second login, but an end the retry met is kept all the same.
      if (res.statusCode === 401) endSession(answerError(res), token);
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
    getSessionEnd: ends.get,
    me: () => request<User>({ url: "/me" }),
    updateMe: (profile) => request<User>({ url: "/me", method: "PATCH", data: profile }),
    bindPhone: (code) => request<User>({ url: "/me/phone", method: "POST", data: { code } }),
    sessions: async () => (await request<{ sessions: SessionInfo[] }>({ url: "/auth/sessions" })).sessions,
    stepUp: (opts) => stepUp(runtime, request, opts),
  };
}
