/**
 * The client's options, the shapes tongxing answers with, and the client's methods.
 */
import type { RuntimeOption } from "./runtimes/detect.js";
import type { SessionEnd } from "./sessionEnd.js";
import type { SoterAuthMode, WxLike } from "./wx.js";

/** Options of `createClient`. */
export interface ClientOptions {
  /** tongxing's base URL, e.g. https://api.example.com (no trailing slash needed). */
  baseUrl: string;
  /**
   * The mini-program's appid on its platform, sent as `appid` in every POST /auth/login so that
   * tongxing exchanges the code with that app's platform. Needed on every platform but WeChat
   * (whose requests carry the appid in their Referer); with several WeChat apps on one tongxing
   * it is the safe choice there too. Unset: the body has no `appid`, as before.
   */
  appid?: string;
  /**
   * The runtime to use, named by its key: `{ taro: Taro }` (Taro is imported, so it must be
   * passed), `{ uni }`, `{ wx }`, `{ tt }`, `{ my }`, `{ qq }`, `{ swan }`, `{ ks }`. Unset: `uni`
   * when present, else the first of the globals `tt`, `my`, `qq`, `swan`, `ks`, `wx`.
   */
  runtime?: RuntimeOption;
  /** The wx object: the same as `runtime: { wx }` (kept from before the other runtimes). */
  wx?: WxLike;
  /** Must match the server's TOKEN_HEADER. Default "X-WX-Token". */
  tokenHeader?: string;
  /** Storage key of the token in the runtime's storage. Default "tongxing.token". */
  storageKey?: string;
  /** Milliseconds per request (and passed to the login calls that take a timeout). Default 6000. */
  timeout?: number;
  /**
   * Called once when tongxing says that somebody ended the session (401 TOKEN_INVALID with reason
   * REPLACED, REVOKED, BANNED, DELETED or LOGGED_OUT), after the token is forgotten and before the
   * request rejects: show the person why ("您的账号已在其他设备登录", the ban's end and reason) and
   * let them choose to log in here again with `login()`. Until a `login()` succeeds the client
   * refuses every request locally with that same TOKEN_INVALID error (no network call, no
   * platform login), also after a restart (the end is kept in storage, under
   * `${storageKey}.ended`). A lapsed session (UNKNOWN, EXPIRED, or no reason from an older
   * tongxing) is renewed silently and never reported here. Unset: nothing is called, the rest is
   * the same. An exception it throws does not change the request's error.
   */
  onSessionEnded?: (end: SessionEnd) => void;
}

/** A profile to store: what the user chose to show. */
export interface Profile {
  nickname?: string;
  avatarUrl?: string;
}

/** The user as tongxing presents it (GET /me). */
export interface User {
  id: number;
  nickname: string | null;
  avatarUrl: string | null;
  /** E.164, e.g. +8613512345678, once bound. */
  phone: string | null;
  /** ISO 8601. */
  createdAt: string;
}

/** One of the user's live sessions (GET /auth/sessions); times are ISO 8601. */
export interface SessionInfo {
  sessionId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  /** The session of the token making the request. */
  current: boolean;
}

/** An authenticated request. */
export interface RequestOptions {
  /** Path on the server (e.g. /me) or an absolute URL. */
  url: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Sent as JSON. */
  data?: unknown;
  header?: Record<string, string>;
}

/**
 * What `stepUp` proves with: WeChat SOTER (a fingerprint or face on this phone), or a
 * getPhoneNumber button's code for the number bound to the account (only a tap on
 * `<button open-type="getPhoneNumber">` gives one, so the app passes its `e.detail.code`).
 */
export type StepUpOptions =
  | {
      method: "soter";
      /**
       * The modes to use, in order of preference: the first the device supports and has a
       * fingerprint or face enrolled for is prompted for. Default ["fingerPrint", "facial"].
       */
      requestAuthModes?: SoterAuthMode[];
      /** The prompt's text, e.g. "确认提现" (WeChat allows 42 characters). */
      authContent?: string;
    }
  | { method: "phone"; code: string };

/** A successful step-up. */
export interface SteppedUp {
  /** Until when the session counts as stepped up (ISO 8601; the server's STEP_UP_TTL). */
  elevatedUntil: string;
}

/** A client; every method rejects with a TongxingError. */
export interface TongxingClient {
  /**
   * Gets a login code from the runtime and exchanges it (POST /auth/login with `code`, `appid`
   * when configured, `profile` when given); keeps the token. Concurrent calls share one login.
   * A refused code (401 WECHAT_CODE_INVALID / LOGIN_CODE_INVALID) or a platform failure (502)
   * is retried once with a fresh code. Its success clears a kept session end (`getSessionEnd()`):
   * the one way out of it, for the app to take when the person chooses to log in here again.
   */
  login(opts?: { profile?: Profile }): Promise<{ user: User; isNewUser: boolean }>;
  /**
   * Uses a stored token as is; logs in when there is none, unless a session end is kept: then it
   * rejects with that end's 401 TOKEN_INVALID (see `onSessionEnded`).
   */
  ensureLogin(): Promise<void>;
  /**
   * An authenticated request; resolves to the JSON body of a 2xx answer. With no token it logs in
   * first (ensureLogin). On 401 TOKEN_MISSING, or TOKEN_INVALID with reason UNKNOWN, EXPIRED or
   * none, it logs in again once and retries once. On TOKEN_INVALID with any other reason it
   * forgets the token, keeps the end, calls `onSessionEnded` and rejects with that error (its
   * `reason`, `bannedUntil`, `banReason`); while the end is kept, it rejects with the same error
   * without sending anything.
   */
  request<T = unknown>(opts: RequestOptions): Promise<T>;
  /**
   * POST /auth/logout, then forgets the token even if the server could not be reached. A kept
   * session end stays kept.
   */
  logout(): Promise<void>;
  /** GET /me. */
  me(): Promise<User>;
  /** PATCH /me. */
  updateMe(profile: Profile): Promise<User>;
  /** Binds the phone number from a getPhoneNumber button's `e.detail.code` (POST /me/phone). */
  bindPhone(code: string): Promise<User>;
  /**
   * Steps this session up before a sensitive change; a business API behind the library's
   * requireStepUp answers 403 STEP_UP_REQUIRED until then (the request rejects with that code;
   * the client never prompts by itself). SOTER: checks locally that the device supports and has
   * enrolled a mode (no request otherwise), then POST /auth/step-up/challenge,
   * wx.startSoterAuthentication over it, POST /auth/step-up with the signed result. Phone: POST
   * /auth/step-up with the code. Logs in first when there is no token, as `request` does.
   * @throws TongxingError the server's 401 STEP_UP_FAILED (signature refused, another number,
   *   challenge spent or expired), 409 NO_PHONE, 400 PHONE_CODE_INVALID, 400 WRONG_PLATFORM,
   *   429 RATE_LIMITED; or, with status 0, SOTER_UNSUPPORTED (not WeChat, no SOTER or none of the modes on this
   *   device), SOTER_NOT_ENROLLED, SOTER_CANCELLED, SOTER_FAILED (not recognised, locked, ...)
   */
  stepUp(opts: StepUpOptions): Promise<SteppedUp>;
  /** GET /auth/sessions: the user's live sessions. */
  sessions(): Promise<SessionInfo[]>;
  /** The stored token, or null. */
  getToken(): string | null;
  /**
   * The session end the client is keeping (see `onSessionEnded`), or null: on start, a page can
   * show why the person is logged out without making a request.
   */
  getSessionEnd(): SessionEnd | null;
}
