/**
 * The one place a login code is exchanged, whatever the app's platform: WeChat's code2Session
 * through the WeChat client (which also holds WeChat's other APIs), every other platform through
 * its exchange beside this file.
 */
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { snapshotUser } from "../errors.js";
import type { WechatClient } from "../wechat/client.js";
import { exchangeFor } from "./exchanges.js";
import type { App, CodeSession, Platform, SecretApp } from "./types.js";

/** Exchanges login codes with each app's platform. */
export class PlatformExchange {
  constructor(
    private readonly wechat: WechatClient,
    private readonly config: Config["platforms"],
    /** Observes each finished call to a platform other than WeChat (metrics). */
    private readonly observe?: (platform: Platform, api: string, outcome: string, durationMs: number) => void,
  ) {}

  /**
   * Exchanges a login code for the user's ids in `app`.
   * @throws AppError as the platform's exchange does (types.ts; WeChat: code2Session.ts)
   */
  exchange(log: Logger, app: App, code: string): Promise<CodeSession> {
    if (app.platform === "wechat") return this.wechat.code2Session(log, app, code);
    if (app.platform === "wechat-oa" || app.platform === "wechat-web") return this.webExchange(log, app, code);
    const { platform } = app;
    const opts = {
      apiBase: this.config.apiBases[platform],
      timeoutMs: this.config.timeoutMs,
      observe: (api: string, outcome: string, ms: number) => this.observe?.(platform, api, outcome, ms),
    };
    return exchangeFor(platform)(app, code, log.child({ platform, appid: app.appid }), opts);
  }

  /**
   * A web app's authorization code (binding from a web page; the redirect flow in routes/web
   * calls the WeChat client itself, for the scope and the profile).
   * @throws AppError 403 SNAPSHOT_USER for a snapshot-page visitor, as oauth.ts's errors
   */
  private async webExchange(log: Logger, app: SecretApp, code: string): Promise<CodeSession> {
    const grant = await this.wechat.webAccessToken(log, app, code);
    if (grant.snapshotUser) throw snapshotUser();
    return { openid: grant.openid, unionid: grant.unionid, sessionKey: null };
  }
}
