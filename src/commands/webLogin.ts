/**
 * Web login for WeChat's web apps (wechat-oa: Official Account pages inside WeChat; wechat-web:
 * website QR login), the same person as in the mini-programs by WeChat's unionid:
 *
 * 1. authorize: a random state, kept 10 minutes and bound to the browser by a cookie, and the
 *    redirect to WeChat's authorize page (`#wechat_redirect` as WeChat requires);
 * 2. callback: the state must be this browser's and unused; the code is exchanged
 *    (oauth.ts), a snapshot-page visitor is refused, and the login is a login like any other
 *    (login.ts: identity, unionid linking, bans, audit); the page gets a one-time ticket in the
 *    URL's fragment, which never reaches a server log;
 * 3. ticket: the page trades the ticket for the token with a POST, so the token itself never
 *    appears in a URL, a redirect or a cookie.
 * https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 * https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
 */
import type { Logger } from "pino";
import type { AppDeps } from "../deps.js";
import { AppError, appUnknown, invalidRequest } from "../errors.js";
import type { User } from "../generated/prisma/client.js";
import { isWebPlatform, type SecretApp, type WebPlatform } from "../platforms/types.js";
import { avatarUrl, nickname } from "../routes/profileSchema.js";
import { allowedReturnUrl } from "../web/returnUrls.js";
import { randomSecret, type WebLoginStore } from "../web/webLoginStore.js";
import { type LoginResult, login } from "./login.js";

/** A web app: an Official Account or a website app, with its secret. */
export type WebApp = SecretApp & { platform: WebPlatform };

/** The scopes each kind of web app may ask for; the first is the default. */
const SCOPES: Record<WebPlatform, readonly string[]> = {
  "wechat-oa": ["snsapi_base", "snsapi_userinfo"],
  "wechat-web": ["snsapi_login"],
};

export const returnUrlNotAllowed = () =>
  new AppError(400, "RETURN_URL_NOT_ALLOWED", "returnTo is not one of the places WEB_RETURN_URLS allows a login to return to.");
export const stateInvalid = () =>
  new AppError(400, "STATE_INVALID", "This login's state is unknown, used, expired or another browser's; start the login again.");
export const ticketInvalid = () => new AppError(401, "TICKET_INVALID", "The ticket is unknown, used or expired; log in again.");

/**
 * The web app with this appid.
 * @throws AppError 400 APP_UNKNOWN for an appid that is not a configured wechat-oa or wechat-web app
 */
export function webAppOf(deps: Pick<AppDeps, "apps">, appid: string): WebApp {
  const app = deps.apps.find(appid);
  if (!app || !isWebPlatform(app.platform)) {
    throw appUnknown(`appid ${JSON.stringify(appid)} is not a wechat-oa or wechat-web app configured in APPS.`);
  }
  return app as WebApp;
}

/**
 * Starts a web login: checks returnTo and scope, keeps a new state.
 * @returns the state (for the browser's cookie) and WeChat's authorize URL to redirect to
 * @throws AppError 400 APP_UNKNOWN, RETURN_URL_NOT_ALLOWED, INVALID_REQUEST (scope); nothing is
 *   stored then
 */
export async function startWebLogin(
  deps: Pick<AppDeps, "apps" | "config">,
  store: WebLoginStore,
  input: { appid: string; returnTo: string | undefined; scope: string | undefined },
): Promise<{ state: string; location: string }> {
  const web = deps.config.web;
  const app = webAppOf(deps, input.appid);
  if (!web) throw appUnknown("No web app is configured.");
  const returnTo = input.returnTo === undefined ? null : allowedReturnUrl(web.returnUrls, input.returnTo);
  if (!returnTo) throw returnUrlNotAllowed();
  const allowed = SCOPES[app.platform];
  const scope = input.scope ?? (allowed[0] as string);
  if (!allowed.includes(scope)) throw invalidRequest(`scope: must be one of ${allowed.join(", ")} for a ${app.platform} app.`);
  const state = randomSecret();
  await store.saveState(state, { appid: app.appid, returnTo: returnTo.href, scope });
  const query = new URLSearchParams({
    appid: app.appid,
    redirect_uri: `${web.publicUrl}/auth/web/${encodeURIComponent(app.appid)}/callback`,
    response_type: "code",
    scope,
    state,
  });
  // WeChat's documented parameter order ends with state; #wechat_redirect is required by the
  // Official Account page and harmless on qrconnect.
  const page = app.platform === "wechat-oa" ? "connect/oauth2/authorize" : "connect/qrconnect";
  return { state, location: `${web.openBase}/${page}?${query}#wechat_redirect` };
}

/** Where the callback sends the browser: back to the page, with a ticket or an error code. */
export interface WebLoginOutcome {
  returnTo: string;
  /** `tongxing_ticket=...` or `tongxing_error=CODE`, for the URL's fragment. */
  fragment: string;
}

/**
 * Finishes a web login at the callback.
 * @param cookieState - the state cookie this browser sent ("" when none)
 * @throws AppError 400 STATE_INVALID when the state is not this browser's, unknown, used or
 *   expired (nothing is exchanged); every later failure is an outcome with an error code
 */
export async function finishWebLogin(
  deps: AppDeps,
  store: WebLoginStore,
  log: Logger,
  input: { appid: string; code: string | undefined; state: string | undefined; cookieState: string; ip: string; userAgent: string },
): Promise<WebLoginOutcome> {
  if (!input.state || input.state !== input.cookieState) throw stateInvalid();
  const saved = await store.takeState(input.state);
  if (!saved || saved.appid !== input.appid) throw stateInvalid();
  const back = (fragment: string) => ({ returnTo: saved.returnTo, fragment });
  // The user refused at WeChat: the redirect carries the state and no code.
  if (!input.code) return back("tongxing_error=ACCESS_DENIED");
  try {
    const app = webAppOf(deps, saved.appid);
    const grant = await deps.wechat.webAccessToken(log, app, input.code);
    if (grant.snapshotUser) return back("tongxing_error=SNAPSHOT_USER");
    const result = await login(
      { ...deps, log },
      {
        app,
        code: input.code,
        exchanged: { openid: grant.openid, unionid: grant.unionid, sessionKey: null },
        ip: input.ip,
        userAgent: input.userAgent,
      },
    );
    if (result.isNewUser && saved.scope !== "snsapi_base")
      await adoptWebProfile(deps, log, result.user, await deps.wechat.webUserinfo(log, grant));
    const ticket = randomSecret();
    await store.saveTicket(ticket, { token: result.token, isNewUser: result.isNewUser });
    return back(`tongxing_ticket=${ticket}`);
  } catch (err) {
    if (err instanceof AppError) return back(`tongxing_error=${err.code}`);
    log.error({ err }, "web login failed");
    return back("tongxing_error=INTERNAL_ERROR");
  }
}

/**
 * A new user's nickname and avatar from WeChat's userinfo, each only if it passes the profile
 * rules (routes/profileSchema.ts); headimgurl comes as http and is served as https too.
 */
async function adoptWebProfile(
  deps: AppDeps,
  log: Logger,
  user: User,
  profile: { nickname: string | null; avatarUrl: string | null } | null,
) {
  if (!profile) return;
  const name = nickname.safeParse(profile.nickname);
  const avatar = avatarUrl.safeParse(profile.avatarUrl?.replace(/^http:\/\//, "https://"));
  const data = { ...(name.success && { nickname: name.data }), ...(avatar.success && { avatarUrl: avatar.data }) };
  if (!Object.keys(data).length) return;
  await deps.prisma.user.update({ where: { id: user.id }, data }).catch((err: unknown) => log.warn({ err }, "web profile not stored"));
}

/**
 * Trades a ticket for the login it stands for.
 * @returns what POST /auth/login answers
 * @throws AppError 401 TICKET_INVALID (unknown, used, expired, or its session already ended)
 */
export async function redeemTicket(deps: AppDeps, store: WebLoginStore, ticket: string): Promise<LoginResult> {
  const login = await store.takeTicket(ticket);
  const session = login && (await deps.sessions.resolve(login.token));
  const user = session && (await deps.prisma.user.findUnique({ where: { id: session.userId } }));
  if (!login || !session || !user) throw ticketInvalid();
  return { token: login.token, session, user, isNewUser: login.isNewUser, replayed: false, unionidConflict: false };
}
