/**
 * Server CPU per request of two (or more) builds of tongxing, side by side: what a change to the
 * per-request stack costs or saves, measured where throughput is too noisy to show it (on a
 * machine of a few cores the load generator competes with the server for them).
 *
 *   npm run bench:install                    (bench/'s own packages)
 *   npm run build -- --outDir ../ab/before   (then change the code)
 *   npm run build -- --outDir ../ab/after
 *   node --import tsx bench/cpu.ts ../ab/before ../ab/after
 *   node --import tsx bench/cpu.ts dist dist:SESSION_CACHE=off   (one build, two settings)
 *
 * A build outside the repository needs the repository's `node_modules` and `prisma` beside it
 * (symlinks will do). Each build runs in production mode on a private Redis
 * and a fresh database; each round loads `/healthz`, `/auth/session` (cache on; a live and a
 * refused token) and `/auth/verify` (a live token) with wrk (or autocannon), and
 * returning-user logins with autocannon, on every build in turn, ABBA, and divides the server
 * process's user+system CPU time (from /proc/<pid>/stat) by the requests answered.
 * BENCH_CPU_ROUNDS (4), BENCH_DURATION (3 s) and BENCH_CPU_LOGINS=0 (no logins) tune it.
 * Prints medians and the per-round figures, in microseconds.
 */
import path from "node:path";
import { dropDatabase } from "../src/db/database.js";
import { cpuMicros, killAll, lastChild, type Measure, measureGet, median, startRedis } from "./lib.js";
import { addReturningUsers, login, measureLogins, startFake, startTongxing } from "./tongxing.js";

const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 4);
/** Returning users for `POST /auth/login` (the fake WeChat's openid is the code up to '#'). */
const USERS = 200;
let loginCount = 0;
const DURATION = Number(process.env.BENCH_DURATION ?? 3);
/** Returning-user logins for DURATION seconds, a fresh code per request. */
const returningLogins = (url: string): Promise<Measure> =>
  measureLogins(url, DURATION, () => `ret${loginCount % USERS}#cpu${loginCount++}`);
const builds = process.argv.slice(2);
if (builds.length < 2) {
  console.error("usage: node --import tsx bench/cpu.ts <build dir> <build dir> [...]");
  process.exit(2);
}

/** The returning-user login "route" (a POST with a fresh code each time, not a GET). */
const LOGIN = "POST /auth/login";

const databases: string[] = [];
try {
  const wechat = await startFake();
  const servers: { build: string; url: string; pid: number; token: string }[] = [];
  for (const build of builds) {
    // <dir>[:NAME=value,NAME=value]: a build and the settings it runs with.
    const [dir = "", settings = ""] = build.split(":");
    const env = Object.fromEntries(
      settings
        .split(",")
        .filter(Boolean)
        .map((pair) => pair.split("=") as [string, string]),
    );
    const redis = await startRedis();
    const db = `postgresql://postgres@127.0.0.1:5432/tongxing_cpu_${process.pid}_${databases.length}`;
    databases.push(db);
    const url = await startTongxing([path.join(dir, "main.js")], {
      REDIS_URL: redis.url,
      DATABASE_URL: db,
      WECHAT_API_BASE: wechat,
      ...env,
    });
    const pid = lastChild();
    servers.push({ build, url, pid, token: await login(url, `cpu-${servers.length}#${process.pid}`) });
    // The returning users of the login measurement: each logs in once here, as a new user.
    await addReturningUsers(url, USERS, `warm${servers.length}`);
  }
  const routes: [string, (s: (typeof servers)[number]) => Record<string, string>][] = [
    ["/healthz", () => ({})],
    ["/auth/session", (s) => ({ "x-wx-token": s.token })],
    // Forward auth: what a gateway calls on every request of the team's own API.
    ["/auth/verify", (s) => ({ "x-wx-token": s.token })],
    // A refused token: the answer every expired session gets.
    ["/auth/session", () => ({ "x-wx-token": "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })],
    ...(process.env.BENCH_CPU_LOGINS === "0" ? [] : [[LOGIN, () => ({})] as (typeof routes)[number]]),
  ];
  const perRequest: Record<string, number[]> = {};
  for (let round = -1; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const [route, headers] of routes) {
      for (const s of order) {
        const before = cpuMicros(s.pid);
        const sent = headers(s);
        const refused = sent["x-wx-token"] !== undefined && sent["x-wx-token"] !== s.token;
        const m = route === LOGIN ? await returningLogins(s.url) : await measureGet(s.url + route, sent, DURATION);
        // wrk counts a 401 as a non-2xx answer; the refused-token route expects nothing else.
        if (m.errors || (refused ? m.non2xx === 0 : m.non2xx))
          throw new Error(`${s.build} ${route}: ${m.non2xx} non-2xx, ${m.errors} errors`);
        const micros = (cpuMicros(s.pid) - before) / (m.rps * DURATION);
        // Round -1 warms the JIT up and is not recorded.
        if (round >= 0) {
          const key = `${route}${refused ? "(401)" : ""}\t${s.build}`;
          perRequest[key] = [...(perRequest[key] ?? []), Math.round(micros)];
        }
      }
    }
  }
  console.log("| route | build | CPU µs per request, median | rounds |\n|---|---|---|---|");
  for (const [key, values] of Object.entries(perRequest)) {
    const [route, build] = key.split("\t");
    console.log(`| ${route} | ${build} | ${median(values)} | ${values.join(", ")} |`);
  }
} finally {
  killAll();
  for (const db of databases) await dropDatabase(db).catch(() => {});
}
