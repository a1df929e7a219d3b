import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { Redis } from "ioredis";
import { dropDatabase } from "../src/db/database.js";
import { SessionKeyVault } from "../src/sessions/sessionKeyVault.js";
import { Sessions } from "../src/sessions/sessions.js";
import { SessionStore } from "../src/sessions/store.js";
import { clusterCacheRow, clusterCacheScenario } from "./clusterCache.js";
import { type Contender, type Credential, contenderTable, measureContender, PEERS } from "./contenders.js";
import { gatewayRows, gatewayScenario } from "./gateway.js";
import {
  alternate,
  formatSpread,
  killAll,
  LOADGEN,
  lastChild,
  type Measure,
  measureGet,
  median,
  pairedRatio,
  pairedRatioSpread,
  startRedis,
  withServerCpu,
} from "./lib.js";
import { measureSessionEnds } from "./sessionEnds.js";
import { APPID, addReturningUsers, KEY, login, measureLogins, PREFIX, startFake, startTongxing } from "./tongxing.js";

// GET scenarios: many short paired rounds. A shared machine's speed can drift by 2.5x over tens
// of seconds (user CPU per /healthz request has more than doubled between consecutive 5 s runs),
// so a ratio is only fair between runs a few seconds apart. Logins report absolute throughput.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const DURATION = Number(process.env.BENCH_DURATION ?? 2);
const PEER_ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 7);
const PEER_RUNS = Number(process.env.BENCH_PEER_RUNS ?? 200);
const LOGIN_ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 5);
const LOGIN_DURATION = Number(process.env.BENCH_LOGIN_DURATION ?? 5);
const SCALE = Number(process.env.BENCH_SCALE_SESSIONS ?? 1_000_000);
const UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN";
// A real Android WeChat User-Agent: twice as long, and less of it is in userAgent.ts's dictionary.
const UA_ANDROID =
  "Mozilla/5.0 (Linux; Android 13; V2196A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230303 MMWEBID/2468 MicroMessenger/8.0.34.2340(0x2800225B) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 MiniProgramEnv/android";

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function main() {
  const started = Date.now();
  const dbA = `postgresql://postgres@127.0.0.1:5432/tongxing_bench_${process.pid}_a`;
  const dbB = `postgresql://postgres@127.0.0.1:5432/tongxing_bench_${process.pid}_b`;
  // Scenario 5 measures returning-user logins on MySQL/MariaDB beside PostgreSQL's.
  const dbM = `${process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306"}/tongxing_bench_${process.pid}_m`;
  try {
    return await scenarios(dbA, dbB, dbM, started);
  } finally {
    killAll();
    for (const db of [dbA, dbB, dbM, ...contenderDatabases]) await dropDatabase(db).catch(() => {});
  }
}

const contenderDatabases: string[] = [];

/** tongxing as a contender of scenario 10: two production processes on a fresh database. */
function tongxingContender(name: string, wechat: string, env: Record<string, string>): Contender {
  return {
    name,
    async start(redisUrl) {
      const db = `postgresql://postgres@127.0.0.1:5432/tongxing_bench_${process.pid}_${contenderDatabases.length}c`;
      contenderDatabases.push(db);
      const servers: string[] = [];
      // One after the other: the first applies the migrations.
      for (let i = 0; i < 2; i++)
        servers.push(await startTongxing(["dist/main.js"], { REDIS_URL: redisUrl, DATABASE_URL: db, WECHAT_API_BASE: wechat, ...env }));
      return servers as [string, string];
    },
    health: "/healthz",
    checked: "/auth/session",
    // The users' hashes; a login also leaves a replay record for LOGIN_REPLAY_WINDOW (5 minutes).
    sessionKeys: `${PREFIX}{u*`,
    // A wx.login code is good once: each contender's codes are its own.
    login: async (url, user) => ({ "x-wx-token": await login(url, `peer-${user}#${process.pid}-${name}`) }),
    async logout(url, credential: Credential) {
      const res = await fetch(`${url}/auth/logout`, { method: "POST", headers: credential });
      if (res.status !== 204) throw new Error(`logout ${res.status}`);
    },
  };
}

/** Creates sessions through the session store, pipelined: `perUser` sessions for each user. */
async function loadSessions(redisUrl: string, users: number, perUser: number, firstUserId: number, userAgent = UA): Promise<void> {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true });
  const sessions = new Sessions(new SessionStore(redis, PREFIX, APPID), new SessionKeyVault(Buffer.from(KEY, "base64")), {
    idleTtl: 604800,
    maxAge: 2592000,
    maxPerUser: 10,
  });
  const batch = 4000;
  for (let u = 0; u < users; u += batch / perUser) {
    const ops: Promise<unknown>[] = [];
    for (let i = u; i < Math.min(users, u + batch / perUser); i++) {
      for (let k = 0; k < perUser; k++) {
        ops.push(
          sessions.create({
            userId: firstUserId + i,
            appid: APPID,
            platform: "wechat",
            openid: `o${"x".repeat(27)}`,
            unionid: `u${"y".repeat(27)}`,
            sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
            ip: "203.0.113.7",
            userAgent,
          }),
        );
      }
    }
    await Promise.all(ops);
  }
  redis.disconnect();
}

async function usedMemory(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl);
  const info = await redis.info("memory");
  redis.disconnect();
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function scenarios(dbA: string, dbB: string, dbM: string, started: number) {
  const wechat = await startFake();
  const redisA = await startRedis();
  const redisB = await startRedis();
  const entry = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", "bench/profiles", "dist/main.js"] : ["dist/main.js"];
  const a = await startTongxing(entry, { REDIS_URL: redisA.url, DATABASE_URL: dbA, WECHAT_API_BASE: wechat });
  const pidA = lastChild();
  // Scenario 3 compares Redis sizes, so its two servers read Redis on every check: c on a's
  // Redis and database, b on the Redis that gets the million sessions.
  const b = await startTongxing(["dist/main.js"], {
    REDIS_URL: redisB.url,
    DATABASE_URL: dbB,
    WECHAT_API_BASE: wechat,
    SESSION_CACHE: "off",
  });
  const c = await startTongxing(["dist/main.js"], {
    REDIS_URL: redisA.url,
    DATABASE_URL: dbA,
    WECHAT_API_BASE: wechat,
    SESSION_CACHE: "off",
  });
  const get =
    (url: string, path: string, headers: Record<string, string> = {}) =>
    () =>
      measureGet(url + path, headers, DURATION);
  log(`load generator: ${LOADGEN}`);

  const tokenA = await login(a, "bench-user#1");
  await loadSessions(redisA.url, 5000, 2, 1_000_000);
  const tokenB = await login(b, "bench-user#2");

  // 3. Scale: 10 thousand vs 1 million live sessions (two Redis, two identical servers, cache off).
  log(`scenario 3: loading ${SCALE} sessions`);
  const loadStarted = Date.now();
  await loadSessions(redisB.url, SCALE / 2, 2, 1_000_000);
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  const s3 = await alternate(ROUNDS, {
    "10k": get(c, "/auth/session", { "x-wx-token": tokenA }),
    [`${SCALE / 1e6}M`]: get(b, "/auth/session", { "x-wx-token": tokenB }),
  });

  // 7. The process-local session cache (SESSION_CACHE): the same check with it on (server a) and
  // off (server c, same Redis and database, so a's token is valid there too), and forward auth
  // (/auth/verify, cache on), against /healthz.
  log("scenario 7: session cache on vs off, forward auth");
  const s7 = await alternate(ROUNDS, {
    healthz: get(a, "/healthz"),
    cacheOn: get(a, "/auth/session", { "x-wx-token": tokenA }),
    cacheOff: get(c, "/auth/session", { "x-wx-token": tokenA }),
    // Forward auth (what nginx auth_request, Traefik or Envoy call on every request of the
    // team's own API): the same check, answered with identity headers and a short body.
    verify: get(a, "/auth/verify", { "x-wx-token": tokenA }),
  });

  // 13. The same check on a Redis Cluster, cache on vs off (bench/clusterCache.ts).
  log("scenario 13: session cache on a Redis Cluster, on vs off");
  const s13 = await clusterCacheScenario(wechat, dbA, ROUNDS, DURATION);

  // 11. What the features cost: a bare Koa app (bench/bareServer.ts), a lean Koa app with
  // tongxing's per-request features and routes but no session check (bench/featureFloor.ts), and
  // tongxing's own /healthz, /auth/session and /auth/verify (cache on), ABBA.
  log("scenario 11: the feature floor");
  // Each with the server's CPU per request too: a ratio of those is what the ratio of req/s
  // would be with the load generator on cores of its own.
  const bare = await startTongxing(["--import", "tsx", "bench/bareServer.ts"], {});
  const pidBare = lastChild();
  const featureFloor = await startTongxing(["--import", "tsx", "bench/featureFloor.ts"], {});
  const pidFloor = lastChild();
  const s11 = await alternate(PEER_ROUNDS, {
    bare: withServerCpu(pidBare, DURATION, get(bare, "/")),
    floor: withServerCpu(pidFloor, DURATION, get(featureFloor, "/healthz")),
    healthz: withServerCpu(pidA, DURATION, get(a, "/healthz")),
    session: withServerCpu(pidA, DURATION, get(a, "/auth/session", { "x-wx-token": tokenA })),
    verify: withServerCpu(pidA, DURATION, get(a, "/auth/verify", { "x-wx-token": tokenA })),
  });

  // 12. Through the gateway: the nginx template as shipped, the library, a new connection's cost (bench/gateway.ts).
  log("scenario 12: through the gateway");
  const s12 = await gatewayScenario({ redisUrl: redisA.url, databaseUrl: dbA, wechat, rounds: PEER_ROUNDS, duration: DURATION });

  // 10. tongxing (cache on and off) and its peers, each against its own health route and the
  // floor, a bare Koa app; Redis bytes and commands; revocation seen by a second instance
  // (bench/contenders.ts).
  log("scenario 10: tongxing and its peers");
  // tongxing's two rows carry the ≥ 0.70 target, so they get scenario 7's ROUNDS: a ratio to
  // bare Koa moves most here, because bare Koa's own throughput can swing 2.5x between seconds
  // (0.54-0.79 for the same two processes in five back-to-back 7-round measurements); the
  // peers, reported only, keep PEER_ROUNDS.
  const s10 = [];
  for (const [contender, rounds] of [
    [tongxingContender("tongxing GET /auth/session, session cache on", wechat, {}), ROUNDS],
    [tongxingContender("tongxing GET /auth/session, SESSION_CACHE=off", wechat, { SESSION_CACHE: "off" }), ROUNDS],
    ...PEERS.map((peer) => [peer, PEER_ROUNDS] as const),
  ] as const) {
    log(`scenario 10: ${contender.name}`);
    // A bare Koa process of its own, started just before, as scenario 11's is: every ratio to bare
    // Koa is then against a process of the same age (scenario 10 read higher than scenario 11 in
    // five runs of five when they shared one; docs/performance.md, "Why a ratio to bare Koa moves").
    const ownBare = await startTongxing(["--import", "tsx", "bench/bareServer.ts"], {});
    s10.push(await measureContender(contender, { bare: ownBare, rounds, duration: DURATION, runs: PEER_RUNS }));
  }
  const [cacheOn, cacheOff] = s10;
  const none = { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const unmeasured = { ...none, runs: 0, stale: 0, control: none };
  const s8 = !cacheOn || cacheOn.revocationMs === "never" ? unmeasured : cacheOn.revocationMs;
  const s8loaded = !cacheOn || cacheOn.revocationUnderLoadMs === "never" ? unmeasured : cacheOn.revocationUnderLoadMs;

  // 6. Revoke-all of a 10-session user: with 10 thousand vs 1 million sessions in Redis.
  log("scenario 6: revoke-all");
  const revokeMs = async (redisUrl: string) => {
    const redis = new Redis(redisUrl, { enableAutoPipelining: true });
    const sessions = new Sessions(new SessionStore(redis, PREFIX, APPID), new SessionKeyVault(Buffer.from(KEY, "base64")), {
      idleTtl: 604800,
      maxAge: 2592000,
      maxPerUser: 10,
    });
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const userId = 900_000 + i;
      await Promise.all(
        Array.from({ length: 10 }, () =>
          sessions.create({
            userId,
            appid: APPID,
            platform: "wechat",
            openid: "o",
            unionid: null,
            sessionKey: "k",
            ip: "203.0.113.7",
            userAgent: UA,
          }),
        ),
      );
      const t0 = performance.now();
      const revoked = await sessions.revokeAll(userId);
      times.push(performance.now() - t0);
      if (revoked.length !== 10) throw new Error(`revoked ${revoked.length}`);
    }
    redis.disconnect();
    return median(times);
  };
  const s6 = { "10k": await revokeMs(redisA.url), [`${SCALE / 1e6}M`]: await revokeMs(redisB.url) };

  // 4. Memory per session: 100 thousand sessions for 50 thousand users in an empty Redis, once
  // with the iOS and once with the Android User-Agent; the larger is the headline.
  log("scenario 4: memory");
  const bytesPerSessionWith = async (userAgent: string) => {
    const redis = await startRedis();
    const before = await usedMemory(redis.url);
    await loadSessions(redis.url, 50_000, 2, 1, userAgent);
    return ((await usedMemory(redis.url)) - before) / 100_000;
  };
  const memory = { ios: await bytesPerSessionWith(UA), android: await bytesPerSessionWith(UA_ANDROID) };
  const bytesPerSession = Math.max(memory.ios, memory.android);
  // What a kept end (why a session ended) adds to its user's hash: at most 64 bytes by contract.
  const ends = await measureSessionEnds((await startRedis()).url);

  // 5. Login throughput: returning users and new users against the fake WeChat.
  log("scenario 5: logins");
  await addReturningUsers(a, 1000, "warm");
  let counter = 0;
  const loginRun = (code: () => string) => () => measureLogins(a, LOGIN_DURATION, code);
  // The same on MySQL: its own Redis, so that its user ids do not meet the PostgreSQL ones'.
  const redisM = await startRedis();
  const onMysql = await startTongxing(["dist/main.js"], { REDIS_URL: redisM.url, DATABASE_URL: dbM, WECHAT_API_BASE: wechat });
  // Codes are single-use at the fake WeChat, as at WeChat: the same users, other codes.
  await addReturningUsers(onMysql, 1000, "warm-mysql");
  const s5 = await alternate(LOGIN_ROUNDS, {
    returning: loginRun(() => `ret${counter++ % 1000}#${counter}`),
    new: loginRun(() => `new${process.pid}-${counter++}`),
    returningMysql: () => measureLogins(onMysql, LOGIN_DURATION, () => `ret${counter++ % 1000}#${counter}`),
  });

  // Headline ratios are medians of per-round ratios (lib.ts pairedRatio), to two decimals.
  const ratio = (x?: { rounds: number[] }, y?: { rounds: number[] }) =>
    Math.round(pairedRatio(x?.rounds ?? [], y?.rounds ?? []) * 100) / 100;
  // The target rows also print how their per-round ratios spread (lib.ts pairedRatioSpread).
  const spread = (x?: { rounds: number[] }, y?: { rounds: number[] }) => pairedRatioSpread(x?.rounds ?? [], y?.rounds ?? []);
  // The server CPU per request of the cheaper route ÷ the dearer's (medians of the rounds).
  const cpuRatio = (cheaper?: Measure, dearer?: Measure) =>
    Number(((cheaper?.cpuUs ?? Number.NaN) / (dearer?.cpuUs ?? Number.NaN)).toFixed(2));
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    settings: {
      rounds: ROUNDS,
      durationSeconds: DURATION,
      loginRounds: LOGIN_ROUNDS,
      loginDurationSeconds: LOGIN_DURATION,
      peerRounds: PEER_ROUNDS,
      peerRuns: PEER_RUNS,
      connections: 64,
      scaleSessions: SCALE,
      loadGenerator: LOADGEN,
    },
    scale: {
      ...s3,
      ratio: ratio(s3[`${SCALE / 1e6}M`], s3["10k"]),
      spread: spread(s3[`${SCALE / 1e6}M`], s3["10k"]),
      target: 0.9,
      loadSeconds,
    },
    memory: {
      bytesPerSession: Math.round(bytesPerSession),
      iosUserAgent: Math.round(memory.ios),
      androidUserAgent: Math.round(memory.android),
      target: 350,
      bytesPerEnd: ends.bytesPerEnd,
      endFieldBytes: ends.fieldBytes,
      endsListpack: ends.listpack,
    },
    logins: { returning: s5.returning, new: s5.new, returningMysql: s5.returningMysql, target: 1000 },
    revokeAll: { medianMs: s6, sessionsPerUser: 10 },
    sessionCache: {
      ...s7,
      onVsHealthz: ratio(s7.cacheOn, s7.healthz),
      onVsHealthzSpread: spread(s7.cacheOn, s7.healthz),
      offVsHealthz: ratio(s7.cacheOff, s7.healthz),
      onVsOff: ratio(s7.cacheOn, s7.cacheOff),
      verifyVsHealthz: ratio(s7.verify, s7.healthz),
      target: 0.95,
    },
    clusterCache: { ...s13, onVsOff: Math.round(s13.onVsOff.median * 100) / 100, onVsOffSpread: s13.onVsOff },
    contenders: s10,
    floor: { sessionVsBare: cacheOn?.vsBare, target: 0.7 },
    featureFloor: {
      ...s11,
      floorVsBare: ratio(s11.floor, s11.bare),
      healthzVsFloor: ratio(s11.healthz, s11.floor),
      sessionVsFloor: ratio(s11.session, s11.floor),
      sessionVsBare: ratio(s11.session, s11.bare),
      sessionVsBareSpread: spread(s11.session, s11.bare),
      verifyVsBare: ratio(s11.verify, s11.bare),
      // Server CPU per request (µs, medians of the rounds) and what ÷ bare Koa is in those terms:
      // bare Koa's cost ÷ the route's (the ratio of req/s with the server alone on its cores).
      cpuUs: Object.fromEntries(Object.entries(s11).map(([name, x]) => [name, x.cpuUs])),
      cpuFloorVsBare: cpuRatio(s11.bare, s11.floor),
      cpuSessionVsBare: cpuRatio(s11.bare, s11.session),
      cpuVerifyVsBare: cpuRatio(s11.bare, s11.verify),
      cpuSessionVsHealthz: cpuRatio(s11.healthz, s11.session),
    },
    gateway: s12,
    revocationSeenOnAnotherInstanceMs: {
      ...s8,
      underLoad: s8loaded,
      note: "from the logout's answer on one instance to the first 401 on another, each poll an HTTP round trip",
    },
    totalSeconds: Math.round((Date.now() - started) / 1000),
  };
  await mkdir("bench", { recursive: true });
  await writeFile("bench/results.json", `${JSON.stringify(results, null, 2)}\n`);
  const row = (name: string, value: string, target: string, ok: boolean) =>
    `| ${name} | ${value} | ${target} | ${ok ? "met" : "NOT met"} |`;
  const m = (x?: Measure) => `${Math.round(x?.rps ?? 0)} req/s`;
  console.log(
    [
      "| scenario | measured | target | |",
      "|---|---|---|---|",
      row(
        `3. ${SCALE / 1e6}M vs 10k live sessions`,
        `${m(s3[`${SCALE / 1e6}M`])} / ${m(s3["10k"])}, paired ratio ${formatSpread(results.scale.spread)}`,
        "≥ 0.90",
        results.scale.ratio >= 0.9,
      ),
      row(
        "4. Redis bytes per session",
        `${results.memory.androidUserAgent} B (Android UA), ${results.memory.iosUserAgent} B (iOS UA)`,
        "≤ 350 B",
        results.memory.bytesPerSession <= 350,
      ),
      row(
        "4. Redis bytes per ended session (its reason)",
        `${results.memory.bytesPerEnd} B in the hash (field and value ${results.memory.endFieldBytes} B, ${results.memory.endsListpack ? "listpack kept" : "listpack lost"})`,
        "≤ 64 B",
        results.memory.bytesPerEnd <= 64 && results.memory.endsListpack,
      ),
      row(
        "5. returning-user logins",
        `${m(s5.returning)}, p50 ${s5.returning?.p50} ms, p99 ${s5.returning?.p99} ms`,
        "≥ 1,000/s",
        (s5.returning?.rps ?? 0) >= 1000,
      ),
      row(
        "5. returning-user logins on MySQL/MariaDB",
        `${m(s5.returningMysql)}, p50 ${s5.returningMysql?.p50} ms, p99 ${s5.returningMysql?.p99} ms`,
        "report",
        true,
      ),
      row(
        "7. /auth/session, cache on vs /healthz",
        `${m(s7.cacheOn)} / ${m(s7.healthz)}, paired ratio ${formatSpread(results.sessionCache.onVsHealthzSpread)} (cache off: ${m(s7.cacheOff)}, ${results.sessionCache.offVsHealthz}; on/off ${results.sessionCache.onVsOff}×)`,
        "≥ 0.95",
        results.sessionCache.onVsHealthz >= 0.95,
      ),
      row(
        "7. /auth/verify (forward auth), cache on vs /healthz",
        `${m(s7.verify)} / ${m(s7.healthz)}, paired ratio ${results.sessionCache.verifyVsHealthz}; ÷ bare Koa ${results.featureFloor.verifyVsBare} (scenario 11)`,
        "(report)",
        true,
      ),
      clusterCacheRow(s13),
      row(
        "8. revocation seen on another instance, that instance under load",
        `p50 ${s8loaded.p50} ms, p99 ${s8loaded.p99} ms, max ${s8loaded.max} ms, ${s8loaded.stale} of ${s8loaded.runs} first polls stale, a live check at the same moments p50 ${s8loaded.control.p50}, p99 ${s8loaded.control.p99} ms (idle: p50 ${s8.p50}, p99 ${s8.p99}, max ${s8.max} ms, ${s8.stale} stale)`,
        "p99 ≤ 10 ms, max ≤ 50 ms",
        s8loaded.p99 <= 10 && s8loaded.max <= 50,
      ),
      row(
        "10. /auth/session (cache on) vs a bare Koa app",
        `${m(cacheOn?.checked)} / ${m(cacheOn?.bare)}, paired ratio ${cacheOn ? formatSpread(cacheOn.vsBareSpread) : "-"} (cache off ${cacheOff?.vsBare})`,
        "≥ 0.70",
        (cacheOn?.vsBare ?? 0) >= 0.7,
      ),
      row(
        "11. the features alone (bench/featureFloor.ts) vs bare Koa; tongxing vs the features alone",
        `${m(s11.floor)} / ${m(s11.bare)}, paired ratio ${results.featureFloor.floorVsBare}; /healthz ${m(s11.healthz)}, ${results.featureFloor.healthzVsFloor}; /auth/session ${m(s11.session)}, ${results.featureFloor.sessionVsFloor} (÷ bare ${formatSpread(results.featureFloor.sessionVsBareSpread)})`,
        "(report)",
        true,
      ),
      row(
        "11. server CPU per request (µs): bare Koa, the features alone, /healthz, /auth/session, /auth/verify",
        `${["bare", "floor", "healthz", "session", "verify"].map((k) => s11[k]?.cpuUs?.toFixed(1)).join(" / ")}; bare Koa's ÷ the features' ${results.featureFloor.cpuFloorVsBare}, ÷ /auth/session's ${results.featureFloor.cpuSessionVsBare}; /healthz's ÷ /auth/session's ${results.featureFloor.cpuSessionVsHealthz}`,
        "(report)",
        true,
      ),
      row("5. new-user logins", `${m(s5.new)}, p50 ${s5.new?.p50} ms, p99 ${s5.new?.p99} ms`, "(report)", true),
      row(
        "6. revoke-all, 10 sessions",
        `median ${s6["10k"]?.toFixed(2)} ms (10k) / ${s6[`${SCALE / 1e6}M`]?.toFixed(2)} ms (${SCALE / 1e6}M)`,
        "flat",
        (s6[`${SCALE / 1e6}M`] ?? 0) < (s6["10k"] ?? 0) * 2 + 0.5,
      ),
      ...gatewayRows(s12),
    ].join("\n"),
  );
  console.log(`\n${contenderTable(s10)}`);
  log(`done in ${results.totalSeconds} s; bench/results.json written`);
}

await main();
