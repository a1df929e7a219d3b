import type { WechatApp } from "../wechat/appConfig.js";

/** A configured mini-program as the admin console shows it: never its secret. */
export interface PresentedApp {
  appid: string;
  /** WECHAT_APPS' `name`, or the appid when none was given. */
  name: string;
}

export function presentApp(a: WechatApp): PresentedApp {
  return { appid: a.appid, name: a.name };
}
