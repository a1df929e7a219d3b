/**
 * Dev mode (no app configured): the built-in fakes of every platform answer instead of the real
 * servers, so `npm start` logs anyone in from any platform with any code.
 */
import type { Config } from "../config/config.js";
import { DEV_WECHAT } from "../wechat/appConfig.js";
import { FakeWechat } from "../wechat/fakeServer.js";
import { generateRsaKeyPair, startFakePlatforms } from "./fakeServer.js";
import type { App } from "./types.js";

/** Dev mode's Alipay app; its keys are made at each start (fakeServer.ts signs with Alipay's). */
export const DEV_ALIPAY_APPID = "2021000000000000";

/**
 * Starts the fakes (WeChat's, and one server for the other platforms, any appid an app of the
 * endpoint's platform, codes reusable) and points the configuration at them, with an Alipay app
 * whose keys are made now.
 * @returns the configuration to run with, and stop() for the fakes
 */
export async function startDevFakes(config: Config): Promise<{ config: Config; stop(): Promise<void> }> {
  const wechat = await new FakeWechat({ ...DEV_WECHAT, anyAppid: true, reusableCodes: true }).start();
  const alipayKeys = generateRsaKeyPair();
  const others = await startFakePlatforms({ anyAppid: true, reusableCodes: true, alipayKeys });
  const alipay: App = {
    platform: "alipay",
    appid: DEV_ALIPAY_APPID,
    privateKey: generateRsaKeyPair().privateKey,
    alipayPublicKey: alipayKeys.publicKey,
    name: "dev-alipay",
  };
  return {
    config: {
      ...config,
      apps: [...config.apps, alipay],
      wechat: { ...config.wechat, apiBase: wechat.baseUrl },
      platforms: {
        ...config.platforms,
        apiBases: {
          douyin: others.apiBase("douyin"),
          alipay: others.apiBase("alipay"),
          qq: others.apiBase("qq"),
          baidu: others.apiBase("baidu"),
          kuaishou: others.apiBase("kuaishou"),
        },
      },
    },
    stop: async () => {
      await Promise.allSettled([wechat.stop(), others.close()]);
    },
  };
}
