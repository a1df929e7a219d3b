import type { App } from "../platforms/types.js";

/** A configured mini-program as the admin console shows it: never its secret. */
export interface PresentedApp {
  appid: string;
  /** The app's platform: wechat, douyin, alipay, qq, baidu or kuaishou. */
  platform: string;
  /** The `name` in APPS or WECHAT_APPS, or the appid when none was given. */
  name: string;
}

/** A configured app, never its secret or keys. */
export function presentApp(a: App): PresentedApp {
  return { appid: a.appid, platform: a.platform, name: a.name };
}
