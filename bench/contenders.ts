/**
 * Bench scenario 10: tongxing against the session libraries teams would otherwise use, each
 * measured the same way. A contender is two instances of one server sharing
 * a private Redis; each has an unauthenticated route (`health`), a checked route (`checked`), a
 * way to log a user in (giving the headers that carry the credential) and to log them out.
 *
 * Per contender, in this order: Redis bytes per session (MEMORY USAGE of its session keys, before
 * and after logging in `runs` users once each, one session per user), Redis commands per
 * check (INFO's total_commands_processed over 1,000 checks, less the same over 1,000 requests to
 * the health route, so background traffic cancels out), revocation seen by the second instance
 * (log in on A, check on B until it answers 200 twice, log out on A, poll B until 401, then time
 * one check of a live session on B as a control; "never" once three logouts are not seen within
 * a second), the same for 10 s while wrk loads B's checked
 * route with another live session, and throughput in ABBA rounds against the
 * contender's own health route and a bare Koa app (run.ts starts a fresh one per contender).
 */
import { Redis } from "ioredis";
import {
  alternate,
  formatSpread,
  freePort,
  type Measure,
  measureGet,
  pairedRatioSpread,
  run,
  type Spread,
  startRedis,
  waitHttp,
} from "./lib.js";

/** Request headers that carry a credential: a cookie, a bearer token or tongxing's X-WX-Token. */
export type Credential = Record<string, string>;

export interface Contender {
  name: string;
  /** Starts two instances on the given Redis; returns their base URLs. */
  start(redisUrl: string): Promise<[string, string]>;
  health: string;
  checked: string;
  login(url: string, user: number): Promise<Credential>;
  logout(url: string, credential: Credential): Promise<void>;
  /**
   * The keys that hold its sessions (a SCAN MATCH pattern), when it writes others per login that
   * are not sessions (tongxing's login replay records and rate-limit counters); all keys if unset.
   */
  sessionKeys?: string;
}

/** Percentiles of a list of milliseconds. */
type Latency = { p50: number; p99: number; max: number };

/**
 * Milliseconds until the second instance refused a logged-out credential, over `runs` logouts,
 * and in how many of them it still accepted the credential on the first request after the logout
 * answered (`stale`: 0 means every revocation counted on the very next request, and the
 * milliseconds are that request's own latency). `control` is the latency of a check of a live
 * session on the same instance right after each refusal: what any request waited at that moment.
 */
type Revocation = (Latency & { runs: number; stale: number; control: Latency }) | "never";

export interface ContenderResult {
  name: string;
  checked: Measure & { rounds: number[] };
  health: Measure & { rounds: number[] };
  bare: Measure & { rounds: number[] };
  vsHealth: number;
  vsBare: number;
  /** How the per-round ratios behind vsHealth and vsBare spread. */
  vsHealthSpread: Spread;
  vsBareSpread: Spread;
  bytesPerSession: number;
  commandsPerCheck: number;
  revocationMs: Revocation;
  /** The same while wrk loads the second instance's checked route (64 connections). */
  revocationUnderLoadMs: Revocation;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
/** Seconds of load on the second instance while revocation is measured under load. */
const LOAD_SECONDS = 12;

/** Starts one bench server (a file under bench/peers/) on a free port and waits for its /healthz. */
async function startPeerServer(file: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  run(process.execPath, ["--import", "tsx", file], { PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`);
  return url;
}

/**
 * A peer from bench/peers/: POST /login?user=N answers a token in JSON (sent back as a bearer
 * token) or sets cookies (sent back as a Cookie header); POST /logout ends the session.
 */
function peer(name: string, file: string, env: Record<string, string> = {}): Contender {
  return {
    name,
    start: async (redisUrl) => {
      const servers = [0, 1].map(() => startPeerServer(file, { REDIS_URL: redisUrl, ...env }));
      return [await servers[0], await servers[1]] as [string, string];
    },
    health: "/healthz",
    checked: "/session",
    async login(url, user): Promise<Credential> {
      const res = await fetch(`${url}/login?user=${user}`, { method: "POST" });
      if (res.status !== 200) throw new Error(`${name}: login ${res.status}`);
      const body = (await res.json()) as { token?: string };
      if (body.token) return { authorization: `Bearer ${body.token}` };
      const cookies = res.headers.getSetCookie().map((c) => c.split(";")[0]);
      if (!cookies.length) throw new Error(`${name}: login set no cookie`);
      return { cookie: cookies.join("; ") };
    },
    async logout(url, credential) {
      const res = await fetch(`${url}/logout`, { method: "POST", headers: credential });
      if (res.status !== 200) throw new Error(`${name}: logout ${res.status}`);
    },
  };
}

/** The peers tongxing is compared with, as bench/peers/ runs them. */
export const PEERS: Contender[] = [
  peer("koa-session + koa-redis", "bench/peers/koaSession.ts"),
  peer("express-session + connect-redis", "bench/peers/expressSession.ts"),
  peer("better-auth getSession, Redis secondary storage", "bench/peers/betterAuth.ts"),
  peer("Koa + jose HS256 JWT", "bench/peers/jose.ts"),
];

/** The bytes of every key in a Redis that matches `match` (MEMORY USAGE, all samples). */
async function keyBytes(redis: Redis, match = "*"): Promise<number> {
  let total = 0;
  for await (const keys of redis.scanStream({ match, count: 1000 })) {
    for (const key of keys as string[]) total += Number(await redis.memory("USAGE", key, "SAMPLES", 0));
  }
  return total;
}

/** Commands Redis processed while `action` ran. */
async function commandsDuring(redis: Redis, action: () => Promise<void>): Promise<number> {
  await redis.config("RESETSTAT");
  await action();
  const info = await redis.info("stats");
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
}

async function statusOf(url: string, credential: Credential): Promise<number> {
  const res = await fetch(url, { headers: credential });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Milliseconds from the logout's answer on A to B's first 401, `runs` times (or until `until`, a
 * performance.now() deadline); "never" once three logouts are still accepted by B a second later.
 */
async function revocationVisibility(
  contender: Contender,
  a: string,
  b: string,
  live: Credential,
  runs: number,
  firstUser: number,
  until = Number.POSITIVE_INFINITY,
): Promise<Revocation> {
  const seen: number[] = [];
  const control: number[] = [];
  let missed = 0;
  let stale = 0;
  for (let i = 0; i < runs && missed < 3 && performance.now() < until; i++) {
    const credential = await contender.login(a, firstUser + i);
    for (let k = 0; k < 2; k++) {
      const status = await statusOf(b + contender.checked, credential);
      if (status !== 200) throw new Error(`${contender.name}: B answered ${status} to a live session`);
    }
    await contender.logout(a, credential);
    const t0 = performance.now();
    let refused = (await statusOf(b + contender.checked, credential)) === 401;
    if (!refused) stale++;
    while (!refused && performance.now() - t0 < 1000) refused = (await statusOf(b + contender.checked, credential)) === 401;
    if (refused) seen.push(performance.now() - t0);
    else missed++;
    const t1 = performance.now();
    const status = await statusOf(b + contender.checked, live);
    if (status !== 200) throw new Error(`${contender.name}: B answered ${status} to the control session`);
    control.push(performance.now() - t1);
  }
  if (missed >= 3) return "never" as const;
  return { ...latency(seen), runs: seen.length, stale, control: latency(control) };
}

function latency(ms: number[]): Latency {
  const sorted = [...ms].sort((x, y) => x - y);
  const pct = (q: number) => round2(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: pct(0.5), p99: pct(0.99), max: round2(sorted.at(-1) ?? 0) };
}

/**
 * Measures one contender as the module comment says. `bare` is the floor's URL; `rounds` and
 * `duration` (seconds) as for the other GET scenarios; `runs` logins for bytes and revocation.
 */
export async function measureContender(
  contender: Contender,
  opts: { bare: string; rounds: number; duration: number; runs: number },
): Promise<ContenderResult> {
  const { url: redisUrl } = await startRedis();
  const redis = new Redis(redisUrl);
  try {
    const [a, b] = await contender.start(redisUrl);
    const before = await keyBytes(redis, contender.sessionKeys);
    // Users 1..runs log in for bytes; revocation logs in runs more (and logs them out).
    for (let i = 1; i <= opts.runs; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, opts.runs - i + 1) }, (_, k) => contender.login(a, i + k)));
    }
    const bytesPerSession = Math.round(((await keyBytes(redis, contender.sessionKeys)) - before) / opts.runs);

    const credential = await contender.login(a, 1_000_000);
    const times = (path: string, headers: Credential) => async () => {
      for (let i = 0; i < 1000; i++) await statusOf(a + path, headers);
    };
    await times(contender.checked, credential)();
    const checks = await commandsDuring(redis, times(contender.checked, credential));
    const healths = await commandsDuring(redis, times(contender.health, {}));
    const commandsPerCheck = Math.max(0, round2((checks - healths) / 1000));

    const revocationMs = await revocationVisibility(contender, a, b, credential, opts.runs, 2_000_000);
    // Again while wrk keeps the second instance busy with checks of another live session: its
    // polls queue behind that load, as a real instance's requests would.
    const load = measureGet(b + contender.checked, credential, LOAD_SECONDS);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const revocationUnderLoadMs = await revocationVisibility(
      contender,
      a,
      b,
      credential,
      opts.runs,
      3_000_000,
      performance.now() + (LOAD_SECONDS - 2) * 1000,
    );
    const loaded = await load;
    if (loaded.errors || loaded.non2xx)
      throw new Error(`${contender.name}: the load saw ${loaded.non2xx} non-2xx, ${loaded.errors} errors`);

    const get = (url: string, headers: Credential) => () => measureGet(url, headers, opts.duration);
    const m = await alternate(opts.rounds, {
      bare: get(`${opts.bare}/`, {}),
      health: get(a + contender.health, {}),
      checked: get(a + contender.checked, credential),
    });
    const vsHealthSpread = pairedRatioSpread(m.checked?.rounds ?? [], m.health?.rounds ?? []);
    const vsBareSpread = pairedRatioSpread(m.checked?.rounds ?? [], m.bare?.rounds ?? []);
    return {
      name: contender.name,
      checked: m.checked!,
      health: m.health!,
      bare: m.bare!,
      vsHealth: round2(vsHealthSpread.median),
      vsBare: round2(vsBareSpread.median),
      vsHealthSpread,
      vsBareSpread,
      bytesPerSession,
      commandsPerCheck,
      revocationMs,
      revocationUnderLoadMs,
    };
  } finally {
    redis.disconnect();
  }
}

/** The contenders' table, in Markdown, as docs/performance.md shows it. */
export function contenderTable(results: ContenderResult[]): string {
  const revocation = (x: Revocation) =>
    x === "never"
      ? "never (until the token expires)"
      : `${x.p50} / ${x.p99} / ${x.max} ms, ${x.stale} of ${x.runs} stale (a live check: ${x.control.p50} / ${x.control.p99} / ${x.control.max} ms)`;
  // Each contender's own bare Koa rounds: the machine's speed moves between contenders, so a
  // bare Koa figure taken across all of them would not match any contender's ratio.
  return [
    "| contender | checked req/s | bare Koa req/s, same rounds | ÷ own health route | ÷ bare Koa | Redis B/session | Redis cmds/check | revocation on another instance p50 / p99 / max | the same, that instance under load |",
    "|---|---|---|---|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.checked.rps)} | ${Math.round(r.bare.rps)} | ${formatSpread(r.vsHealthSpread, false)} | ${formatSpread(r.vsBareSpread, false)} | ${r.bytesPerSession} | ${r.commandsPerCheck} | ${revocation(r.revocationMs)} | ${revocation(r.revocationUnderLoadMs)} |`,
    ),
  ].join("\n");
}
