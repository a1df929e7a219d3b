/**
 * Scenario 13: the session check on a Redis Cluster with the process-local cache on and off.
 * A private 3-master cluster (test/redisCluster.ts), two tongxing processes on it and on one
 * database, identical but for SESSION_CACHE; the same token on both, ABBA rounds (lib.ts
 * alternate), the median of per-round ratios with its spread.
 *
 * Alone, with a few rounds: `BENCH_ROUNDS=3 node --import tsx bench/clusterCache.ts` (after
 * `npm run bench:install` and `npm run build`); `npm run bench` runs it among the others.
 */
import { pathToFileURL } from "node:url";
import { dropDatabase } from "../src/db/database.js";
import { startRedisCluster } from "../test/redisCluster.js";
import { alternate, formatSpread, killAll, type Measure, measureGet, pairedRatioSpread, type Spread } from "./lib.js";
import { login, startFake, startTongxing } from "./tongxing.js";

export interface ClusterCacheResult {
  cacheOn: Measure & { rounds: number[] };
  cacheOff: Measure & { rounds: number[] };
  /** Median of per-round cache-on ÷ cache-off req/s, and its spread. */
  onVsOff: Spread;
}

/**
 * Runs the scenario against the fake WeChat at `wechat` on a migrated (or empty) database.
 * @param rounds - ABBA rounds; `duration` seconds each
 */
export async function clusterCacheScenario(
  wechat: string,
  databaseUrl: string,
  rounds: number,
  duration: number,
): Promise<ClusterCacheResult> {
  const cluster = await startRedisCluster();
  try {
    const env = { REDIS_CLUSTER_NODES: cluster.nodes, DATABASE_URL: databaseUrl, WECHAT_API_BASE: wechat };
    // One after the other: the first applies the migrations.
    const on = await startTongxing(["dist/main.js"], { ...env, SESSION_CACHE: "on" });
    const off = await startTongxing(["dist/main.js"], { ...env, SESSION_CACHE: "off" });
    const headers = { "x-wx-token": await login(on, `cluster-cache#${process.pid}`) };
    const s = await alternate(rounds, {
      cacheOn: () => measureGet(`${on}/auth/session`, headers, duration),
      cacheOff: () => measureGet(`${off}/auth/session`, headers, duration),
    });
    const cacheOn = s.cacheOn as ClusterCacheResult["cacheOn"];
    const cacheOff = s.cacheOff as ClusterCacheResult["cacheOff"];
    return { cacheOn, cacheOff, onVsOff: pairedRatioSpread(cacheOn.rounds, cacheOff.rounds) };
  } finally {
    await cluster.stop();
  }
}

/** The table row run.ts prints. */
export function clusterCacheRow(r: ClusterCacheResult): string {
  const m = (x: Measure) => `${Math.round(x.rps)} req/s`;
  return `| 13. /auth/session on a Redis Cluster, cache on vs off | ${m(r.cacheOn)} / ${m(r.cacheOff)}, paired ratio ${formatSpread(r.onVsOff)} | (report) | met |`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const db = `postgresql://postgres@127.0.0.1:5432/tongxing_bench_${process.pid}_cluster`;
  try {
    const result = await clusterCacheScenario(
      await startFake(),
      db,
      Number(process.env.BENCH_ROUNDS ?? 7),
      Number(process.env.BENCH_DURATION ?? 2),
    );
    console.log(clusterCacheRow(result));
  } finally {
    killAll();
    await dropDatabase(db).catch(() => {});
  }
}
