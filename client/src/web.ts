/**
 * tongxing-miniprogram/web: login through tongxing for WeChat web pages, the Official Account
 * pages opened inside WeChat (`wechat-oa` apps) and websites with QR login (`wechat-web`), the
 * same users as the mini-programs by WeChat's unionid.
 *
 *   import { createWebClient } from "tongxing-miniprogram/web";
 *   const tx = createWebClient({ baseUrl: "https://api.example.com", appid: "wx0123456789abcdef",
 *     onLoginRequired: () => confirm("登录已过期，重新登录？") });
 *   await tx.finishLogin();                      // on every page load: null unless back from a login
 *   if (!tx.getToken()) loginButton.onclick = () => tx.startLogin();
 *   const me = await tx.me();
 *
 * A web login is a round trip of the whole page: startLogin() sends the browser to tongxing,
 * which sends it to WeChat's authorize page, whose answer comes back to tongxing's callback, which
 * sends the browser back to the page with a one-time ticket in the URL's fragment; finishLogin()
 * takes the ticket out of the address bar and trades it for the token with a POST. The token
 * itself is never in a URL, a cookie or a server log. Because logging in again leaves the page,
 * the client never does it by itself: on 401 TOKEN_MISSING / TOKEN_INVALID it asks the page
 * (`onLoginRequired`), handing it the 401 with why the session ended (`reason`, `bannedUntil`,
 * `banReason`: sessionEnd.ts).
 * https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 * https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
 */
import { browser, fetchJson, type StorageLike } from "./browser.js";
import { TongxingError } from "./errors.js";
import { answerError, type HttpResponse } from "./runtimes/runtime.js";
import type { RequestOptions, User } from "./types.js";
import type { FinishWebLoginOptions, StartWebLoginOptions, WebClient, WebClientOptions, WebLoginResult } from "./webTypes.js";

export type { StorageLike } from "./browser.js";
export { TongxingError } from "./errors.js";
export type { SessionEnd, SessionEndReason } from "./sessionEnd.js";
export type { RequestOptions, User } from "./types.js";
export type {
  FinishWebLoginOptions,
  StartWebLoginOptions,
  WebClient,
  WebClientOptions,
  WebLoginResult,
  WebLoginScope,
} from "./webTypes.js";

const base = (url: string) => url.replace(/\/+$/, "");
const storageOf = (opts: { storage?: StorageLike }) => opts.storage ?? browser().localStorage;
const DEFAULT_KEY = "tongxing.token";
const DEFAULT_TIMEOUT = 6000;
const RELOGIN_CODES = ["TOKEN_MISSING", "TOKEN_INVALID"];
const ok = (res: HttpResponse) => res.statusCode >= 200 && res.statusCode < 300;

/**
 * The URL that starts a web login: tongxing's `GET /auth/web/{appid}/authorize?returnTo&scope`,
 * which sets its state cookie and redirects to WeChat's authorize page.
 */
export function webLoginUrl(options: StartWebLoginOptions): string {
  const returnTo = options.returnTo ?? browser().location.href.replace(/#.*$/, "");
  const scope = options.scope ? `&scope=${encodeURIComponent(options.scope)}` : "";
  return `${base(options.baseUrl)}/auth/web/${encodeURIComponent(options.appid)}/authorize?returnTo=${encodeURIComponent(returnTo)}${scope}`;
}

/**
 * Starts a web login: sends the browser to webLoginUrl(options). The page is left; the login ends
 * when the browser comes back to `returnTo`, whose page calls finishWebLogin.
 * @throws TongxingError NO_BROWSER outside a browser page
 */
export function startWebLogin(options: StartWebLoginOptions): void {
  browser().location.assign(webLoginUrl(options));
}

/**
 * Finishes a web login on the page it came back to; call it on every page load. Reads the URL's
 * fragment (`#tongxing_ticket=…` or `#tongxing_error=CODE`), removes it from the address bar
 * (history.replaceState: a reload or a shared link does not carry the spent ticket), trades the
 * ticket for the token (POST /auth/web/ticket: one use, within 60 s) and keeps the token.
 * @returns the login, or null when the URL carries neither (a page load that is no login's end)
 * @throws TongxingError with the code the login came back with (ACCESS_DENIED: the user refused
 *   at WeChat; SNAPSHOT_USER: a visitor of WeChat's snapshot page, who must open the page itself;
 *   USER_BANNED, WECHAT_UNAVAILABLE, ...) or the POST's: TICKET_INVALID (401: used, older than 60 s,
 *   or unknown), NETWORK_ERROR, TIMEOUT; the stored token is then left as it was
 */
export async function finishWebLogin(options: FinishWebLoginOptions): Promise<WebLoginResult | null> {
  const { location, history } = browser();
  const fragment: Record<string, string> = {};
  for (const part of location.hash.replace(/^#/, "").split("&")) {
    const [key = "", value = ""] = part.split("=");
    fragment[key] = value;
  }
  const ticket = fragment.tongxing_ticket;
  const error = fragment.tongxing_error;
  if (!ticket && !error) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  if (!ticket) throw new TongxingError(String(error), 0, `the web login came back with ${error}`);
  const res = await fetchJson({
    url: `${base(options.baseUrl)}/auth/web/ticket`,
    method: "POST",
    data: { ticket },
    header: { "content-type": "application/json" },
    timeout: options.timeout ?? DEFAULT_TIMEOUT,
  });
  if (!ok(res)) throw answerError(res);
  const body = res.data as { token: string } & WebLoginResult;
  storageOf(options).setItem(options.storageKey ?? DEFAULT_KEY, body.token);
  return { user: body.user, isNewUser: body.isNewUser, expiresAt: body.expiresAt };
}

/**
 * Creates a client for a web page: its login (startLogin, finishLogin) and requests with the
 * token, as the mini-program client's (same header, same storage key), minus the silent re-login.
 */
export function createWebClient(options: WebClientOptions): WebClient {
  const key = options.storageKey ?? DEFAULT_KEY;
  const tokenHeader = options.tokenHeader ?? "X-WX-Token";
  let asking: Promise<void> | null = null;

  const getToken = (): string | null => storageOf(options).getItem(key) || null;
  const startLogin = () => startWebLogin(options);

  function send(opts: RequestOptions, token: string | null): Promise<HttpResponse> {
    const header: Record<string, string> = { ...opts.header };
    if (opts.data !== undefined) header["content-type"] ??= "application/json";
    if (token) header[tokenHeader] = token;
    const url = /^https?:\/\//.test(opts.url) ? opts.url : base(options.baseUrl) + opts.url;
    return fetchJson({ url, method: opts.method ?? "GET", data: opts.data, header, timeout: options.timeout ?? DEFAULT_TIMEOUT });
  }

  // One question for any number of requests refused together: one answer, at most one redirect.
  function askForLogin(error: TongxingError): Promise<void> {
    asking ??= Promise.resolve()
      .then(() => options.onLoginRequired?.(error))
      .then((yes) => {
        if (yes === true) startLogin();
      })
      .finally(() => {
        asking = null;
      });
    return asking;
  }

  async function request<T>(opts: RequestOptions): Promise<T> {
    const token = getToken();
    const res = await send(opts, token);
    if (ok(res)) return res.data as T;
    const error = answerError(res);
    if (res.statusCode === 401 && RELOGIN_CODES.includes(error.code)) {
      // Another tab may have logged in meanwhile: only the token that failed is forgotten.
      if (token && getToken() === token) storageOf(options).removeItem(key);
      await askForLogin(error);
    }
    throw error;
  }

  async function logout(): Promise<void> {
    const token = getToken();
    try {
      if (token) await send({ url: "/auth/logout", method: "POST" }, token);
    } catch {
      // The server may be unreachable: the token is forgotten all the same.
    } finally {
      storageOf(options).removeItem(key);
    }
  }

  return {
    startLogin,
    finishLogin: () => finishWebLogin(options),
    request,
    me: () => request<User>({ url: "/me" }),
    logout,
    getToken,
  };
}
