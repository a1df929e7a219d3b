/**
 * Does the User-Agent dictionary pay for itself? For real WeChat User-Agents:
 *
 * - Redis bytes: a user hash written by the session store (two sessions from one phone) is
 *   copied with its User-Agent pieces replaced by the plain string in 64-character pieces (the
 *   listpack limit, keys.ts), and MEMORY USAGE of both is compared;
 * - CPU: encodeUserAgent (deflate with the dictionary, once per login) and decodeUserAgent
 *   (once per listed session), microseconds per call, against a login's own CPU in the bench.
 *
 *   npm run bench:install   (bench/'s own packages)
 *   node --import tsx bench/userAgent.ts
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { SessionKeyVault } from "../src/sessions/sessionKeyVault.js";
import { Sessions } from "../src/sessions/sessions.js";
import { SessionStore } from "../src/sessions/store.js";
import { decodeUserAgent, encodeUserAgent } from "../src/sessions/userAgent.js";
import { killAll, startRedis } from "./lib.js";

const SAMPLES: Record<string, string> = {
  iOS: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN",
  Android:
    "Mozilla/5.0 (Linux; Android 13; V2196A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230303 MMWEBID/2468 MicroMessenger/8.0.34.2340(0x2800225B) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 MiniProgramEnv/android",
  Windows:
    "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36 NetType/WIFI MiniProgramEnv/Windows WindowsWechat/WMPF WindowsWechat(0x63090b13)XWEB/11581",
  // Not WeChat at all: what the dictionary does for a string it was not made for.
  curl: "curl/8.5.0",
};

const PREFIX = "uam:";
const APPID = "wxuseragent0000000";

function microsPerCall(fn: () => void, calls = 20_000): number {
  for (let i = 0; i < 1000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn();
  return Math.round((Number(process.hrtime.bigint() - t0) / 1000 / calls) * 10) / 10;
}

try {
  const { url } = await startRedis();
  const redis = new Redis(url);
  const sessions = new Sessions(new SessionStore(redis, PREFIX, APPID), new SessionKeyVault(randomBytes(32)), {
    idleTtl: 604800,
    maxAge: 2592000,
    maxPerUser: 10,
  });
  const rows = [
    "| User-Agent | length | stored as (chars) | hash bytes, dictionary | hash bytes, plain | encode µs | decode µs |",
    "|---|---|---|---|---|---|---|",
  ];
  let userId = 1;
  for (const [name, ua] of Object.entries(SAMPLES)) {
    userId++;
    for (let i = 0; i < 2; i++) {
      await sessions.create({
        userId,
        appid: APPID,
        platform: "wechat",
        openid: `o${"x".repeat(27)}`,
        unionid: `u${"y".repeat(27)}`,
        sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
        ip: "203.0.113.7",
        userAgent: ua,
      });
    }
    const key = `${PREFIX}{u${userId}}`;
    const fields = await redis.hgetall(key);
    const encoded = encodeUserAgent(ua);
    const plain = Object.fromEntries(Object.entries(fields).filter(([field]) => !field.startsWith(`a${encoded.ref}`)));
    for (let i = 0; i * 64 < ua.length; i++) plain[`a${encoded.ref}${i.toString(36)}`] = ua.slice(i * 64, i * 64 + 64);
    const plainKey = `${key}:plain`;
    await redis.hset(plainKey, plain);
    const bytes = async (k: string) => Number(await redis.memory("USAGE", k, "SAMPLES", 0));
    const [dictionaryBytes, plainBytes] = [await bytes(key), await bytes(plainKey)];
    // Both must still be listpacks, or the comparison is of encodings, not of User-Agents.
    for (const k of [key, plainKey]) {
      const encoding = await redis.object("ENCODING", k);
      if (encoding !== "listpack") throw new Error(`${k} is a ${encoding}`);
    }
    const text = encoded.pieces.join("");
    rows.push(
      `| ${name} | ${ua.length} | ${text.length} | ${dictionaryBytes} | ${plainBytes} | ${microsPerCall(() => encodeUserAgent(ua))} | ${microsPerCall(() => decodeUserAgent(text))} |`,
    );
  }
  console.log(rows.join("\n"));
  redis.disconnect();
} finally {
  killAll();
}
