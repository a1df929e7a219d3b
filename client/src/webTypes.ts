/**
 * The web entry's options, the login it returns and the client's methods (web.ts).
 */
import type { StorageLike } from "./browser.js";
import type { TongxingError } from "./errors.js";
import type { RequestOptions, User } from "./types.js";

/**
 * What WeChat asks the user for. Official Account pages: `snsapi_base` (the default: silent, the
 * openid and unionid only) or `snsapi_userinfo` (a consent page; a new user gets WeChat's
 * nickname and avatar). Website apps: `snsapi_login` (the default and only one: the QR code).
 */
export type WebLoginScope = "snsapi_base" | "snsapi_userinfo" | "snsapi_login";

/** Where a web login starts: tongxing, the web app, and where to come back to. */
export interface StartWebLoginOptions {
  /** tongxing's base URL, e.g. https://api.example.com (no trailing slash needed). */
  baseUrl: string;
  /** The `wechat-oa` or `wechat-web` app's appid, as configured in tongxing's APPS. */
  appid: string;
  /**
   * The page to come back to, which must be on tongxing's WEB_RETURN_URLS (else tongxing answers
   * 400 RETURN_URL_NOT_ALLOWED and the browser stays on that answer). Default: the current page,
   * without its fragment.
   */
  returnTo?: string;
  /** Default: the app's first scope (`snsapi_base`, or `snsapi_login` for a website app). */
  scope?: WebLoginScope;
}

/** Where finishWebLogin trades the ticket and keeps the token. */
export interface FinishWebLoginOptions {
  /** tongxing's base URL; the page's origin must be on tongxing's CORS_ORIGINS. */
  baseUrl: string;
  /**
   * Where the token is kept. Default `localStorage`: it survives reloads and new tabs, and like
   * anything in the page it is readable by a script injected into it (XSS); `sessionStorage`
   * forgets it with the tab.
   */
  storage?: StorageLike;
  /** Storage key of the token. Default "tongxing.token", as in the mini-program client. */
  storageKey?: string;
  /** Milliseconds for the ticket's POST. Default 6000. */
  timeout?: number;
}

/** A finished web login: POST /auth/web/ticket's answer, without the token (kept in storage). */
export interface WebLoginResult {
  user: User;
  isNewUser: boolean;
  /** When the session ends unless used (ISO 8601). */
  expiresAt: string;
}

/** Options of createWebClient: where to log in, where the token is kept, and how to ask for a login. */
export interface WebClientOptions extends StartWebLoginOptions, FinishWebLoginOptions {
  /** Must match the server's TOKEN_HEADER. Default "X-WX-Token", as in the mini-program client. */
  tokenHeader?: string;
  /**
   * Called when a request is refused for want of a login (401 TOKEN_MISSING or TOKEN_INVALID; the
   * dead token is already forgotten), once for any number of requests refused together. Resolve
   * to true to start a web login now (the page is left, `returnTo` being the current page unless
   * set), or false to handle it yourself (e.g. show a login button). Unset: false. A web login
   * leaves the page, so the client never starts one without asking, whatever the reason.
   *
   * `error` is the 401: for TOKEN_INVALID, `error.reason` says why the session is not live, so
   * that the page can word its question: UNKNOWN or EXPIRED (it lapsed: "登录已过期"), REPLACED
   * (a newer login elsewhere: "您的账号已在其他设备登录"), REVOKED, LOGGED_OUT, BANNED (with
   * `error.bannedUntil`, ISO 8601, and `error.banReason` when given: logging in again is refused
   * until then) or DELETED; unset from an older tongxing.
   */
  onLoginRequired?: (error: TongxingError) => boolean | Promise<boolean>;
}

/** A client for a web page; every method rejects with a TongxingError. */
export interface WebClient {
  /** startWebLogin with the client's options (the current page as `returnTo` unless set). */
  startLogin(): void;
  /** finishWebLogin with the client's options. */
  finishLogin(): Promise<WebLoginResult | null>;
  /**
   * An authenticated request (the stored token in `tokenHeader`, none when there is none);
   * resolves to the JSON body of a 2xx answer. On 401 TOKEN_MISSING / TOKEN_INVALID it forgets
   * the token, asks `onLoginRequired`, and rejects with that 401 error (with its `reason`,
   * `bannedUntil`, `banReason`).
   */
  request<T = unknown>(opts: RequestOptions): Promise<T>;
  /** GET /me. */
  me(): Promise<User>;
  /** POST /auth/logout, then forgets the token even if the server could not be reached. */
  logout(): Promise<void>;
  /** The stored token, or null. */
  getToken(): string | null;
}
