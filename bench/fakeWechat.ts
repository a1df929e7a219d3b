/** The fake WeChat in its own process for the benchmark; prints its base URL. */
import { FakeWechat } from "../src/wechat/fakeServer.js";

const fake = await new FakeWechat({ appid: process.env.WECHAT_APPID ?? "", secret: process.env.WECHAT_SECRET ?? "" }).start();
process.stdout.write(`${JSON.stringify({ url: fake.baseUrl })}\n`);
process.on("SIGTERM", () => fake.stop().then(() => process.exit(0)));
