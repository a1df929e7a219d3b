/**
 * tongxing-miniprogram: the client half of tongxing, for WeChat Mini Programs.
 *
 *   import { createClient } from "tongxing-miniprogram";
 *   const tx = createClient({ baseUrl: "https://api.example.com" });
 *   const me = await tx.request({ url: "/me" });   // logs in first if needed
 *
 * What it gets right that hand-written wrappers usually don't:
 * - one login at a time: concurrent requests with no token (or a revoked one) share a single
 *   wx.login + POST /auth/login (single flight);
 * - a 401 TOKEN_MISSING / TOKEN_INVALID logs in again once and retries once, never in a loop;
 *   a request that failed with a token already replaced by a newer login just retries;
 * - the token lives in wx storage, so it survives page changes and restarts;
 * - every failure is a TongxingError with the server's code, or NETWORK_ERROR / TIMEOUT.
 * Only the `wx` object is used: no Node or browser APIs.
 */
import type { WxLike, WxRequestSuccess } from "./wx.js";

export type { WxError, WxLike, WxRequestOptions, WxRequestSuccess } from "./wx.js";

/** A failure: the server's error code and message, or NETWORK_ERROR, TIMEOUT, WX_LOGIN_FAILED, UNEXPECTED_RESPONSE. */
export class TongxingError extends Error {
  constructor(
    readonly code: string,
    /** HTTP status, 0 when there was no HTTP answer. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "TongxingError";
  }
}

export interface ClientOptions {
  /** tongxing's base URL, e.g. https://api.example.com (no trailing slash needed). */
  baseUrl: string;
  /** The wx object; defaults to the global one. */
  wx?: WxLike;
  /** Must match the server's TOKEN_HEADER. */
  tokenHeader?: string;
  /** wx storage key of the token. */
  storageKey?: string;
  /** Milliseconds per request. */
  timeout?: number;
}

export interface Profile {
  nickname?: string;
  avatarUrl?: string;
}

export interface User {
  id: number;
  nickname: string | null;
  avatarUrl: string | null;
  phone: string | null;
  createdAt: string;
}

export interface SessionInfo {
  sessionId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  current: boolean;
}

export interface RequestOptions {
  /** Path on the server (e.g. /me) or an absolute URL. */
  url: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  data?: unknown;
  header?: Record<string, string>;
}

const RELOGIN_CODES = new Set(["TOKEN_MISSING", "TOKEN_INVALID"]);

export interface TongxingClient {
  /** wx.login → POST /auth/login; keeps the token. Concurrent calls share one login. */
  login(opts?: { profile?: Profile }): Promise<{ user: User; isNewUser: boolean }>;
  /** Uses a stored token as is; logs in when there is none. */
  ensureLogin(): Promise<void>;
  /** An authenticated request; resolves to the JSON body of a 2xx answer. */
  request<T = unknown>(opts: RequestOptions): Promise<T>;
  /** POST /auth/logout, then forgets the token even if the server could not be reached. */
  logout(): Promise<void>;
  me(): Promise<User>;
  updateMe(profile: Profile): Promise<User>;
  /** Binds the phone number from a getPhoneNumber button's `e.detail.code`. */
  bindPhone(code: string): Promise<User>;
  sessions(): Promise<SessionInfo[]>;
  /** The stored token, or null. */
  getToken(): string | null;
}

/** Creates a client. @throws TongxingError NO_WX when there is no wx object */
export function createClient(options: ClientOptions): TongxingClient {
  const found = options.wx ?? (globalThis as { wx?: WxLike }).wx;
  if (!found) throw new TongxingError("NO_WX", 0, "No wx object: pass options.wx outside a mini-program.");
  const wx: WxLike = found;
  const base = options.baseUrl.replace(/\/+$/, "");
  const tokenHeader = options.tokenHeader ?? "X-WX-Token";
  const storageKey = options.storageKey ?? "tongxing.token";
  const timeout = options.timeout ?? 6000;
  let inflightLogin: Promise<{ user: User; isNewUser: boolean }> | null = null;

  const getToken = (): string | null => {
    const t = wx.getStorageSync(storageKey);
    return typeof t === "string" && t ? t : null;
  };

  function send(opts: RequestOptions, token: string | null): Promise<WxRequestSuccess> {
    const header: Record<string, string> = { ...opts.header };
    if (opts.data !== undefined) header["content-type"] ??= "application/json";
    if (token) header[tokenHeader] = token;
    return new Promise((resolve, reject) => {
      wx.request({
        url: /^https?:\/\//.test(opts.url) ? opts.url : base + opts.url,
        method: opts.method ?? "GET",
        data: opts.data,
        header,
        timeout,
        success: resolve,
        fail: (err) => {
          const timedOut = /timeout/i.test(err?.errMsg ?? "");
          reject(new TongxingError(timedOut ? "TIMEOUT" : "NETWORK_ERROR", 0, err?.errMsg ?? "request failed"));
        },
      });
    });
  }

  function toError(res: WxRequestSuccess): TongxingError {
    const error = (res.data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (error && typeof error.code === "string") return new TongxingError(error.code, res.statusCode, String(error.message ?? ""));
    return new TongxingError("UNEXPECTED_RESPONSE", res.statusCode, `HTTP ${res.statusCode}`);
  }

  const ok = (res: WxRequestSuccess) => res.statusCode >= 200 && res.statusCode < 300;

  function wxLogin(): Promise<string> {
    return new Promise((resolve, reject) => {
      wx.login({
        timeout,
        success: (res) => (res?.code ? resolve(res.code) : reject(new TongxingError("WX_LOGIN_FAILED", 0, "wx.login gave no code"))),
        fail: (err) => reject(new TongxingError("WX_LOGIN_FAILED", 0, err?.errMsg ?? "wx.login failed")),
      });
    });
  }

  function login(opts: { profile?: Profile } = {}): Promise<{ user: User; isNewUser: boolean }> {
    if (inflightLogin) return inflightLogin;
    inflightLogin = (async () => {
      const exchange = async () =>
        send({ url: "/auth/login", method: "POST", data: { code: await wxLogin(), ...(opts.profile && { profile: opts.profile }) } }, null);
      let res = await exchange();
      // 502: WeChat failed, and it may have spent the code: one retry, with a fresh wx.login code.
      if (res.statusCode === 502) res = await exchange();
      if (!ok(res)) throw toError(res);
      const body = res.data as { token: string; user: User; isNewUser: boolean };
      wx.setStorageSync(storageKey, body.token);
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
    if (res.statusCode === 401 && RELOGIN_CODES.has(toError(res).code)) {
      // Log in again only if nobody has since replaced the token that failed.
      if (inflightLogin) await inflightLogin;
      else if (getToken() === token) await login();
      res = await send(opts, getToken());
    }
    if (!ok(res)) throw toError(res);
    return res.data as T;
  }

  async function logout(): Promise<void> {
    const token = getToken();
    try {
      if (token) await send({ url: "/auth/logout", method: "POST" }, token);
    } catch {
      // The server may be unreachable: the token is forgotten all the same.
    } finally {
      wx.removeStorageSync(storageKey);
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
