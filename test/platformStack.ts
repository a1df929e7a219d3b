/**
 * A stack with an app on every platform (WeChat's primary) against the fakes of the platforms'
 * servers (src/platforms/fakeServer.ts), for the suites on other platforms.
 */
import { type FakePlatforms, generateRsaKeyPair, startFakePlatforms } from "../src/platforms/fakeServer.js";
import { APPID, SECRET, type Stack, startStack } from "./support.js";

const appKeys = generateRsaKeyPair();
const alipayKeys = generateRsaKeyPair();

/** The apps besides WeChat's (APPID): two of Douyin, one of each other platform. */
export const APPS = {
  douyin: { platform: "douyin", appid: "tt0000000000000001", secret: "douyin-secret-1" },
  douyin2: { platform: "douyin", appid: "tt0000000000000002", secret: "douyin-secret-2" },
  alipay: { platform: "alipay", appid: "2021000000000001" },
  qq: { platform: "qq", appid: "1109000001", secret: "qq-secret" },
  baidu: { platform: "baidu", appid: "BaiduAppKey0123456789abcdefABCDE", secret: "baidu-sk" },
  kuaishou: { platform: "kuaishou", appid: "ks671234567890", secret: "ks-secret" },
} as const;
export type AppName = keyof typeof APPS;

/**
 * Starts the fakes and a stack configured with APPS for them.
 * @param env - more configuration (SERVICE_TOKEN, ADMIN_TOKEN...)
 */
export async function startPlatformStack(
  env: Record<string, string> = {},
): Promise<{ stack: Stack; fakes: FakePlatforms; stop(): Promise<void> }> {
  const fakes = await startFakePlatforms({
    apps: [
      APPS.douyin,
      APPS.douyin2,
      APPS.qq,
      APPS.baidu,
      APPS.kuaishou,
      { ...APPS.alipay, appPublicKey: appKeys.publicKey, alipayPrivateKey: alipayKeys.privateKey },
    ],
  });
  const apps = [
    { platform: "wechat", appid: APPID, secret: SECRET },
    APPS.douyin,
    APPS.douyin2,
    { ...APPS.alipay, privateKey: appKeys.privateKey, alipayPublicKey: alipayKeys.publicKey },
    APPS.qq,
    APPS.baidu,
    APPS.kuaishou,
  ];
  try {
    const stack = await startStack({
      WECHAT_APPID: "",
      WECHAT_SECRET: "",
      APPS: JSON.stringify(apps),
      DOUYIN_API_BASE: fakes.apiBase("douyin"),
      ALIPAY_GATEWAY: fakes.apiBase("alipay"),
      QQ_API_BASE: fakes.apiBase("qq"),
      BAIDU_API_BASE: fakes.apiBase("baidu"),
      KUAISHOU_API_BASE: fakes.apiBase("kuaishou"),
      PLATFORM_TIMEOUT: "1000",
      ...env,
    });
    return {
      stack,
      fakes,
      stop: async () => {
        await stack.stop();
        await fakes.close();
      },
    };
  } catch (err) {
    await fakes.close();
    throw err;
  }
}
