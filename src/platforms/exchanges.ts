// Placeholder until each platform's exchange lands: refuses every non-WeChat login as the platform failing.
import { platformUnavailable } from "../errors.js";
import type { Exchanges } from "./exchange.js";

const notYet = async (app: { platform: string }) => {
  throw platformUnavailable(app.platform);
};
export const EXCHANGES: Exchanges = { douyin: notYet, alipay: notYet, qq: notYet, baidu: notYet, kuaishou: notYet };
