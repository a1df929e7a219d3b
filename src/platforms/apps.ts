/**
 * The mini-programs tongxing serves, on every platform, and which one a login is for. An appid
 * is unique across all of them, so it decides the platform of a login.
 *
 * The primary app is the first of APPS or WECHAT_APPS, or WECHAT_APPID. Sessions, session_keys
 * and identities written before tongxing knew several apps belong to it (keys.ts, the
 * identities migration), so it must stay first when a deployment moves to a longer list.
 */
import { primaryAppidKey } from "../../verifier/src/publishedSettings.js";
import type { PrismaClient } from "../clients/prisma.js";
import type { RedisClient } from "../clients/redis.js";
import { ConfigError } from "../config/config.js";
import { appUnknown, wrongPlatform } from "../errors.js";
import { APPID_PATTERN, DEV_WECHAT, type WechatApp } from "../wechat/appConfig.js";
import type { App } from "./types.js";

/**
 * The appid in the Referer WeChat puts on every wx.request of a mini-program:
 * `https://servicewechat.com/{appid}/{version}/page-frame.html` (`devtools` as the version in
 * the developer tools). The mini-program cannot set that header. Other platforms set no such
 * Referer that a server may trust, so their clients send `appid`.
 * https://developers.weixin.qq.com/miniprogram/dev/framework/ability/network.html (Referer)
 */
const WECHAT_REFERER = /^https:\/\/servicewechat\.com\/(wx[0-9A-Za-z]{16})\/[^/]+\/page-frame\.html$/;

/** The configured apps, looked up by appid. */
export class Apps {
  private readonly byAppid: Map<string, App>;
  readonly primary: App;

  constructor(
    readonly list: readonly App[],
    /** Dev mode: the built-in fakes answer; any `wx` appid is also a WeChat app. */
    readonly devMode: boolean,
  ) {
    const first = list[0];
    if (!first) throw new Error("at least one app must be configured");
    this.primary = first;
    this.byAppid = new Map(list.map((a) => [a.appid, a]));
  }

  /** The app with this appid; in dev mode any well-formed WeChat appid is a WeChat app. */
  find(appid: string): App | undefined {
    const app = this.byAppid.get(appid);
    if (app || !this.devMode || !APPID_PATTERN.test(appid)) return app;
    return { platform: "wechat", appid, secret: DEV_WECHAT.secret, name: appid };
  }

  /**
   * Which app a login is for: the body's `appid` if given; else the appid in WeChat's Referer;
   * else the only configured app.
   * @param referer - the request's Referer header ("" when absent)
   * @throws AppError 400 APP_UNKNOWN for an appid that is not configured, or with several apps
   *   configured and neither an appid nor a WeChat Referer
   */
  forLogin(bodyAppid: string | undefined, referer: string): App {
    const fromReferer = WECHAT_REFERER.exec(referer)?.[1];
    return this.resolve(
      bodyAppid ?? fromReferer,
      "send appid in the body, or log in from a WeChat mini-program (WeChat's Referer names it)",
      bodyAppid === undefined ? "The Referer's appid" : "appid",
    );
  }

  /**
   * The named app, or the only one when none is named.
   * @param howToName - what the caller should do when several apps are configured and none is named
   * @param what - how the appid is called in the message when it is not configured
   * @throws AppError 400 APP_UNKNOWN
   */
  resolve(appid: string | undefined, howToName: string, what = "appid"): App {
    if (appid === undefined) {
      if (this.list.length === 1 || this.devMode) return this.primary;
      throw appUnknown(`Several mini-programs are configured: ${howToName}.`);
    }
    const app = this.find(appid);
    if (!app)
      throw appUnknown(`${what} ${JSON.stringify(appid)} is not one of the mini-programs configured (APPS, WECHAT_APPS or WECHAT_APPID).`);
    return app;
  }

  /**
   * The app as a WeChat app, for the routes that call WeChat's own APIs (the phone number, open
   * data, the shared access_token).
   * @param what - the route, for the message
   * @throws AppError 400 WRONG_PLATFORM for an app of another platform
   */
  asWechat(app: App, what: string): WechatApp {
    if (app.platform !== "wechat") throw wrongPlatform(what);
    return app;
  }
}

/**
 * Gives the data of the one-app days to the primary app, at start: identities the migration
 * left with appid '' get its appid, and Redis records which appid the slot-less session fields
 * belong to (the library's verifier reads it from there). Refuses a primary app other than the
 * one recorded, since every existing session would then be reported as the wrong app's; dev
 * mode's app gives way to a configured one.
 * @throws ConfigError when the first configured app is not the recorded primary app
 */
export async function adoptPrimaryApp(prisma: PrismaClient, redis: RedisClient, prefix: string, apps: Apps): Promise<number> {
  const key = primaryAppidKey(prefix);
  const primary = apps.primary.appid;
  const recorded = await redis.get(key);
  if (recorded !== null && recorded !== primary && !apps.devMode && recorded !== DEV_WECHAT.appid) {
    throw new ConfigError(
      `Invalid configuration:\n  APPS (or WECHAT_APPS): the first app must stay ${recorded}, the app this deployment's existing sessions belong to (found ${primary}); to hand them to another app on purpose, delete the Redis key ${key}`,
    );
  }
  if (recorded !== primary) await redis.set(key, primary);
  const claimed = await prisma.identity.updateMany({ where: { appid: "" }, data: { appid: primary, platform: apps.primary.platform } });
  return claimed.count;
}
