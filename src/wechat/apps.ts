/**
 * The mini-programs tongxing serves, and which one a login is for.
 *
 * The primary app is WECHAT_APPID, or the first entry of WECHAT_APPS. Sessions, session_keys and
 * identities written before tongxing knew several apps belong to it (keys.ts, the identities
 * migration), so it must stay first when a one-app deployment moves to WECHAT_APPS.
 */
import { primaryAppidKey } from "../../verifier/src/publishedSettings.js";
import type { PrismaClient } from "../clients/prisma.js";
import type { RedisClient } from "../clients/redis.js";
import { APPID_PATTERN, type Config, ConfigError, DEV_WECHAT, type WechatApp } from "../config/config.js";
import { appUnknown } from "../errors.js";

/**
 * The appid in the Referer WeChat puts on every wx.request of a mini-program:
 * `https://servicewechat.com/{appid}/{version}/page-frame.html` (`devtools` as the version in
 * the developer tools). The mini-program cannot set that header.
 * https://developers.weixin.qq.com/miniprogram/dev/framework/ability/network.html (Referer)
 */
const WECHAT_REFERER = /^https:\/\/servicewechat\.com\/(wx[0-9A-Za-z]{16})\/[^/]+\/page-frame\.html$/;

/** The configured apps, looked up by appid. */
export class WechatApps {
  private readonly byAppid: Map<string, WechatApp>;
  readonly primary: WechatApp;

  constructor(
    readonly list: readonly WechatApp[],
    /** Dev mode: the built-in fake answers for any appid, with the dev secret. */
    readonly devMode: boolean,
  ) {
    const first = list[0];
    if (!first) throw new Error("at least one WeChat app must be configured");
    this.primary = first;
    this.byAppid = new Map(list.map((a) => [a.appid, a]));
  }

  static fromConfig(wechat: Config["wechat"]): WechatApps {
    return new WechatApps(wechat.apps, wechat.devMode);
  }

  /** The app with this appid; in dev mode any well-formed appid is an app. */
  find(appid: string): WechatApp | undefined {
    const app = this.byAppid.get(appid);
    if (app || !this.devMode || !APPID_PATTERN.test(appid)) return app;
    return { appid, secret: DEV_WECHAT.secret, name: appid };
  }

  /**
   * Which app a login is for: the body's `appid` if given; else the appid in WeChat's Referer;
   * else the only configured app.
   * @param referer - the request's Referer header ("" when absent)
   * @throws AppError 400 APP_UNKNOWN for an appid that is not configured, or with several apps
   *   configured and neither an appid nor a WeChat Referer
   */
  forLogin(bodyAppid: string | undefined, referer: string): WechatApp {
    const fromReferer = WECHAT_REFERER.exec(referer)?.[1];
    return this.resolve(
      bodyAppid ?? fromReferer,
      "send appid in the body, or log in from the mini-program (WeChat's Referer names it)",
      bodyAppid === undefined ? "The Referer's appid" : "appid",
    );
  }

  /**
   * The named app, or the only one when none is named.
   * @param howToName - what the caller should do when several apps are configured and none is named
   * @param what - how the appid is called in the message when it is not configured
   * @throws AppError 400 APP_UNKNOWN
   */
  resolve(appid: string | undefined, howToName: string, what = "appid"): WechatApp {
    if (appid === undefined) {
      if (this.list.length === 1 || this.devMode) return this.primary;
      throw appUnknown(`Several mini-programs are configured: ${howToName}.`);
    }
    const app = this.find(appid);
    if (!app)
      throw appUnknown(`${what} ${JSON.stringify(appid)} is not one of the mini-programs configured in WECHAT_APPS or WECHAT_APPID.`);
    return app;
  }
}

/**
 * Gives the data of the one-app days to the primary app, at start: identities the migration
 * left with appid '' get its appid, and Redis records which appid the slot-less session fields
 * belong to (the library's verifier reads it from there). Refuses a primary app other than the
 * one recorded, since every existing session would then be reported as the wrong app's; dev
 * mode's app gives way to a configured one.
 * @throws ConfigError when WECHAT_APPS' first app is not the recorded primary app
 */
export async function adoptPrimaryApp(prisma: PrismaClient, redis: RedisClient, prefix: string, apps: WechatApps): Promise<number> {
  const key = primaryAppidKey(prefix);
  const primary = apps.primary.appid;
  const recorded = await redis.get(key);
  if (recorded !== null && recorded !== primary && !apps.devMode && recorded !== DEV_WECHAT.appid) {
    throw new ConfigError(
      `Invalid configuration:\n  WECHAT_APPS: the first app must stay ${recorded}, the app this deployment's existing sessions belong to (found ${primary}); to hand them to another app on purpose, delete the Redis key ${key}`,
    );
  }
  if (recorded !== primary) await redis.set(key, primary);
  const claimed = await prisma.identity.updateMany({ where: { appid: "" }, data: { appid: primary } });
  return claimed.count;
}
