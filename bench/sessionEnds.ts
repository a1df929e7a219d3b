/**
 * What keeping why a session ended costs in Redis (verifier/src/sessionEnd.ts): a user with one
 * live session and 16 logged-out ones (the most ends kept per user), against the same hash with
 * the ends deleted by hand (as before ends were kept). MEMORY USAGE of both, divided by 16 (one
 * end alone can hide in the allocator's rounding), and whether the hash is still a listpack. Run by bench/run.ts (scenario 4), or alone:
 *
 *   npm run bench:install   (bench/'s own packages)
 *   node --import tsx bench/sessionEnds.ts
 */
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { SessionKeyVault } from "../src/sessions/sessionKeyVault.js";
import { Sessions } from "../src/sessions/sessions.js";
import { SessionStore } from "../src/sessions/store.js";

const PREFIX = "ends:";
const APPID = "wxsessionends00000";
const UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN";

/** Bytes one kept end adds to its user's hash, and the field's own length. */
export interface EndCost {
  bytesPerEnd: number;
  fieldBytes: number;
  listpack: boolean;
}

/** Measures on the Redis at `url` (keys under `ends:`, deleted after). */
export async function measureSessionEnds(url: string): Promise<EndCost> {
  const redis = new Redis(url);
  try {
    const sessions = new Sessions(new SessionStore(redis, PREFIX, APPID), new SessionKeyVault(randomBytes(32)), {
      idleTtl: 604800,
      maxAge: 2592000,
      maxPerUser: 20,
    });
    const session = {
      appid: APPID,
      platform: "wechat",
      openid: `o${"x".repeat(27)}`,
      unionid: `u${"y".repeat(27)}`,
      sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
      ip: "203.0.113.7",
      userAgent: UA,
    };
    const cost: number[] = [];
    let field = 0;
    let listpack = true;
    const ENDS = 16;
    // Ten users, each measured twice: with their ends, and with them deleted.
    for (let userId = 1; userId <= 10; userId++) {
      await sessions.create({ userId, ...session });
      for (let i = 0; i < ENDS; i++) {
        const ended = await sessions.create({ userId, ...session });
        await sessions.revoke(userId, ended.record.sid, "logout");
      }
      const key = `${PREFIX}{u${userId}}`;
      const ends = Object.entries(await redis.hgetall(key)).filter(([f]) => f.startsWith("~"));
      if (ends.length !== ENDS) throw new Error(`expected ${ENDS} ends, found ${ends.length}`);
      const [name, value] = ends[0] as [string, string];
      field = name.length + value.length;
      listpack &&= (await redis.object("ENCODING", key)) === "listpack";
      const withEnds = Number(await redis.memory("USAGE", key, "SAMPLES", 0));
      await redis.hdel(key, ...ends.map(([f]) => f));
      cost.push((withEnds - Number(await redis.memory("USAGE", key, "SAMPLES", 0))) / ENDS);
      await redis.del(key);
    }
    cost.sort((a, b) => a - b);
    return { bytesPerEnd: Math.round(cost[Math.floor(cost.length / 2)] as number), fieldBytes: field, listpack };
  } finally {
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { startRedis, killAll } = await import("./lib.js");
  try {
    const { url } = await startRedis();
    console.log(JSON.stringify(await measureSessionEnds(url)));
  } finally {
    killAll();
  }
}
