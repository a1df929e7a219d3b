/**
 * Which code exchange serves which platform, and where each platform's API lives. WeChat's
 * exchange stays in src/wechat (code2Session.ts), with its own errors and access_token.
 */
import { exchangeAlipayCode } from "./alipay.js";
import { exchangeBaiduCode } from "./baidu.js";
import { exchangeDouyinCode } from "./douyin.js";
import { exchangeKuaishouCode } from "./kuaishou.js";
import { exchangeQqCode } from "./qq.js";
import type { App, ExchangeCode, MiniProgramPlatform } from "./types.js";

/** The platforms this folder exchanges codes for. */
export type OtherPlatform = Exclude<MiniProgramPlatform, "wechat">;

/**
 * The production API base of each platform (Alipay: its gateway URL itself), without a trailing
 * slash. Sources: each exchange's file.
 */
export const DEFAULT_API_BASES: Record<OtherPlatform, string> = {
  douyin: "https://developer.toutiao.com",
  alipay: "https://openapi.alipay.com/gateway.do",
  qq: "https://api.q.qq.com",
  baidu: "https://spapi.baidu.com",
  kuaishou: "https://open.kuaishou.com",
};

/** An exchange that refuses an app of another platform (a wiring bug, not a user's error). */
function forPlatform<A extends App>(platform: OtherPlatform, exchange: ExchangeCode<A>): ExchangeCode<App> {
  return async (app, code, log, opts) => {
    if (app.platform !== platform) throw new Error(`a ${app.platform} app was given to the ${platform} code exchange`);
    return exchange(app as A, code, log, opts);
  };
}

const EXCHANGES: Record<OtherPlatform, ExchangeCode<App>> = {
  douyin: forPlatform("douyin", exchangeDouyinCode),
  alipay: forPlatform("alipay", exchangeAlipayCode),
  qq: forPlatform("qq", exchangeQqCode),
  baidu: forPlatform("baidu", exchangeBaiduCode),
  kuaishou: forPlatform("kuaishou", exchangeKuaishouCode),
};

/**
 * The code exchange of a platform other than WeChat. The app passed to it must be of that
 * platform (an AlipayApp for "alipay", a SecretApp otherwise); another platform's app makes it
 * throw a plain Error (a 500: a wiring bug).
 * @throws Error for "wechat" (src/wechat/code2Session.ts serves it) or an unknown platform
 */
export function exchangeFor(platform: MiniProgramPlatform): ExchangeCode<App> {
  if (platform === "wechat") throw new Error("WeChat's code exchange is src/wechat/code2Session.ts, not exchangeFor()");
  const exchange = EXCHANGES[platform];
  if (!exchange) throw new Error(`no code exchange for platform ${String(platform)}`);
  return exchange;
}
