/**
 * What every mini-program platform has in common: the mini-program gets a one-time login code
 * (`wx.login`, `tt.login`, `my.getAuthCode`, `qq.login`, `swan.getLoginCode`, `ks.login`) and the
 * server exchanges it with the platform for the user's id in that app. Each platform's exchange
 * lives in its own file beside this one; docs/apps.md lists them with their sources.
 */
import type { Logger } from "pino";

/** The mini-program platforms: a login code from the mini-program, exchanged by POST /auth/login. */
export const MINI_PROGRAM_PLATFORMS = ["wechat", "douyin", "alipay", "qq", "baidu", "kuaishou"] as const;
export type MiniProgramPlatform = (typeof MINI_PROGRAM_PLATFORMS)[number];
/**
 * WeChat's web apps, logged in by a browser redirect (src/routes/web/): `wechat-oa`, an Official
 * Account's pages inside WeChat; `wechat-web`, an Open Platform website app (QR login).
 */
export const WEB_PLATFORMS = ["wechat-oa", "wechat-web"] as const;
export type WebPlatform = (typeof WEB_PLATFORMS)[number];
/** Every platform tongxing logs users in from; `APPS[].platform` takes one of these. */
export const PLATFORMS = [...MINI_PROGRAM_PLATFORMS, ...WEB_PLATFORMS] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Whether apps of this platform log in through the browser redirect (routes/web) rather than POST /auth/login. */
export const isWebPlatform = (p: Platform): p is WebPlatform => (WEB_PLATFORMS as readonly string[]).includes(p);

/** How many sessions a user may hold at once (SESSION_CONCURRENCY, an app's `concurrency`). */
export const CONCURRENCY = ["multi", "single-per-app", "single"] as const;
export type Concurrency = (typeof CONCURRENCY)[number];

/** An app of a platform that signs in with an AppSecret (all but Alipay). */
export interface SecretApp {
  platform: Exclude<Platform, "alipay">;
  /** The platform's app id (Baidu: the AppKey, sent as `client_id`). */
  appid: string;
  /** The AppSecret (Baidu: `sk`). Never logged, never sent anywhere but to the platform. */
  secret: string;
  /** A label for operators (logs, the admin API); defaults to the appid. */
  name: string;
  /** This app's own SESSION_CONCURRENCY. */
  concurrency?: Concurrency;
}

/** An Alipay mini-program: requests are signed with the app's key, answers verified with Alipay's. */
export interface AlipayApp {
  platform: "alipay";
  appid: string;
  /** The app's RSA2 private key, PKCS#8 PEM. Never logged. */
  privateKey: string;
  /** Alipay's public key (PEM) that every response's `sign` must verify with. */
  alipayPublicKey: string;
  name: string;
  /** This app's own SESSION_CONCURRENCY. */
  concurrency?: Concurrency;
}

/** One configured mini-program on any platform. */
export type App = SecretApp | AlipayApp;

/** What a successful code exchange gives. */
export interface CodeSession {
  /** The user's id in this app (Alipay: `open_id`, else `user_id`). */
  openid: string;
  /**
   * The id shared by this person's identities across the apps of one union scope (unionScope),
   * or null: WeChat's, QQ's and Douyin's `unionid`, Alipay's `user_id`.
   */
  unionid: string | null;
  /** The platform's session_key as it sent it, or null for a platform that gives none (Alipay). */
  sessionKey: string | null;
}

/** Where and how a platform is called. Durations in milliseconds. */
export interface ExchangeOptions {
  /** The platform's API base (or Alipay's gateway URL), without a trailing slash. */
  apiBase: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Extra attempts after the first for a 5xx or a network error (never for a timeout). Default 2. */
  retries?: number;
  /** Before the first retry; doubles each time. Default 100. */
  backoffMs?: number;
  /** Observes each finished call: api name, outcome ("ok", an error value, "retryable"), duration. */
  observe?: (api: string, outcome: string, durationMs: number) => void;
}

/**
 * Exchanges one login code with the app's platform. A code is single-use, so a timed-out call is
 * never repeated.
 * @throws AppError 401 LOGIN_CODE_INVALID (the platform refused the code: invalid, expired or
 *   used), 502 PLATFORM_UNAVAILABLE (an HTTP error, a timeout, an answer that does not parse or
 *   whose signature does not verify, a wrong secret or key: the last logged as an error naming
 *   the app, never the secret)
 */
export type ExchangeCode<A extends App = App> = (app: A, code: string, log: Logger, opts: ExchangeOptions) => Promise<CodeSession>;

/**
 * Which platforms' unionids are one namespace: identities link by unionid only within it, so a
 * WeChat unionid never matches a Douyin one even when the strings are equal. WeChat's
 * mini-programs, Official Accounts and website apps bound to one Open Platform account share
 * WeChat's unionid
 * (https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/union-id.html).
 * Baidu and Kuaishou give no unionid through the code exchange.
 */
export function unionScope(platform: Platform): Platform {
  return isWebPlatform(platform) ? "wechat" : platform;
}

/** The platforms whose identities a unionid of `platform` may link to (unionScope). */
export function platformsSharingUnionid(platform: Platform): Platform[] {
  const scope = unionScope(platform);
  return PLATFORMS.filter((p) => unionScope(p) === scope);
}
