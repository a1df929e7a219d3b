/** Benchmark plumbing: processes on loopback, a private redis-server, autocannon runs, medians. */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { promisify } from "node:util";
import autocannon from "autocannon";
import * as ss from "simple-statistics";

const started: ChildProcess[] = [];
/** The processes started by run(), oldest first. */
export function children(): readonly ChildProcess[] {
  return started;
}
/** The pid of the process run() started last (startTongxing spawns node itself: the server). */
export function lastChild(): number {
  const pid = started.at(-1)?.pid;
  if (pid === undefined) throw new Error("no process started");
  return pid;
}
export function killAll(): void {
  for (const c of started) c.kill("SIGKILL");
}
process.on("exit", killAll);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitHttp(url: string, ms = 60_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    if (Date.now() - started > ms) throw new Error(`${url} did not answer`);
    await sleep(100);
  }
}

/** Starts a process; its output is discarded unless `keepOutput` (then returned lines). */
export function run(cmd: string, args: string[], env: Record<string, string> = {}, keepOutput = false) {
  const child = spawn(cmd, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", keepOutput ? "pipe" : "ignore", "ignore"],
  });
  started.push(child);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  return { child, output: () => out };
}

/** A private redis-server that keeps nothing on disk. */
export async function startRedis(): Promise<{ port: number; url: string }> {
  const port = await freePort();
  run("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  for (let i = 0; i < 100; i++) {
    const { Redis } = await import("ioredis");
    const r = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on("error", () => {});
    try {
      await r.connect();
      await r.ping();
      return { port, url: `redis://127.0.0.1:${port}` };
    } catch {
      await sleep(50);
    } finally {
      r.disconnect();
    }
  }
  throw new Error("redis-server did not start");
}

export interface Measure {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The server process's CPU (user + system) per request answered, in microseconds, when measured (withServerCpu). */
  cpuUs?: number;
}

/** User + system CPU of a process so far, in microseconds (/proc/<pid>/stat: clock ticks of 10 ms, Linux). */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * `run`, with the CPU the server process `pid` spent per request answered (`cpuUs`): what a
 * request costs the server itself, whichever share of the cores the load generator took
 * meanwhile. Throughput swings with that share; the CPU per request barely does (a few percent
 * between rounds, where a bare Koa app's req/s can move by half).
 * @param duration - the run's length in seconds, as given to the load generator
 */
export function withServerCpu(pid: number, duration: number, run: () => Promise<Measure>): () => Promise<Measure> {
  return async () => {
    const before = cpuMicros(pid);
    const m = await run();
    return { ...m, cpuUs: (cpuMicros(pid) - before) / (m.rps * duration) };
  };
}

/**
 * wrk (C, from Debian's packages) loads a small machine far less than autocannon (JavaScript),
 * so the server, not the load generator, is what gets measured; autocannon is the fallback that
 * `npm ci` alone provides. BENCH_LOADGEN=autocannon forces it.
 */
export const LOADGEN: "wrk" | "autocannon" = (() => {
  if (process.env.BENCH_LOADGEN === "autocannon") return "autocannon";
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return "wrk";
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    return (err as { status?: number }).status === 1 ? "wrk" : "autocannon";
  }
})();

const toMs = (value: string, unit: string) => Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);

async function wrk(url: string, headers: Record<string, string>, duration: number, connections: number): Promise<Measure> {
  const args = [
    "-t1",
    `-c${connections}`,
    `-d${duration}s`,
    "--latency",
    ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    url,
  ];
  const { stdout } = await promisify(execFile)("wrk", args, { timeout: (duration + 30) * 1000 });
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(stdout);
    return m ? toMs(m[1] as string, m[2] as string) : Number.NaN;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]),
    p50: pct("50"),
    p99: pct("99"),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    errors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/** One GET load run with the chosen generator. Durations in seconds; latencies in milliseconds. */
export function measureGet(url: string, headers: Record<string, string>, duration: number, connections = 64): Promise<Measure> {
  return LOADGEN === "wrk" ? wrk(url, headers, duration, connections) : measure({ url, headers, duration, connections });
}

/** One autocannon run. Durations in seconds; latencies in milliseconds. */
export async function measure(opts: autocannon.Options): Promise<Measure> {
  const result = await autocannon({ connections: 64, pipelining: 1, duration: 5, ...opts });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  return xs.length ? ss.median(xs) : Number.NaN;
}

/**
 * The median of the per-round ratios a[i] / b[i]: each pair ran back to back, so it shares the
 * machine's state of that moment, which a ratio of two medians taken across rounds does not.
 */
export function pairedRatio(a: number[], b: number[]): number {
  return pairedRatioSpread(a, b).median;
}

/** How per-round ratios spread: the median (the headline figure), the quartiles, the extremes. */
export interface Spread {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/**
 * The spread of the per-round ratios a[i] / b[i] (quartiles by simple-statistics' `quantile`).
 * On a shared machine a round can run at twice the speed of the next, so a median of 7 rounds can
 * move by ±0.1 between runs; the middle half says how far to trust it.
 */
export function pairedRatioSpread(a: number[], b: number[]): Spread {
  const ratios = a.map((x, i) => x / (b[i] ?? Number.NaN));
  // No rounds, or rounds that do not pair (one missing on one side): no figure at all.
  if (!ratios.length || a.length !== b.length || !ratios.every(Number.isFinite))
    return { min: Number.NaN, q1: Number.NaN, median: Number.NaN, q3: Number.NaN, max: Number.NaN };
  const [q1, q3] = ss.quantile(ratios, [0.25, 0.75]) as [number, number];
  return { min: ss.min(ratios), q1, median: ss.median(ratios), q3, max: ss.max(ratios) };
}

/**
 * A spread as the bench prints it: "0.64 (middle half of rounds 0.56-0.74, all 0.48-0.97)", or
 * without the extremes, for a table cell, "0.64 (0.56-0.74)".
 */
export function formatSpread(s: Spread, extremes = true): string {
  const f = (x: number) => x.toFixed(2);
  return extremes
    ? `${f(s.median)} (middle half of rounds ${f(s.q1)}-${f(s.q3)}, all ${f(s.min)}-${f(s.max)})`
    : `${f(s.median)} (${f(s.q1)}-${f(s.q3)})`;
}

/**
 * Runs the named measurements `rounds` times each, alternating (A B B A ...), and returns the
 * per-name medians, so that drift in a shared, noisy machine hits every name alike.
 */
export async function alternate(
  rounds: number,
  runs: Record<string, () => Promise<Measure>>,
): Promise<Record<string, Measure & { rounds: number[] }>> {
  const all: Record<string, Measure[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  // One unrecorded round first: JIT warm-up and connection pools, for every name alike.
  for (const fn of Object.values(runs)) await fn();
  // Order ABBA…: a drift in the machine's speed within a round falls on both names alike.
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? Object.entries(runs) : Object.entries(runs).reverse();
    for (const [name, fn] of order) {
      const m = await fn();
      if (m.non2xx || m.errors) throw new Error(`${name}: ${m.non2xx} non-2xx, ${m.errors} errors`);
      all[name]?.push(m);
    }
  }
  return Object.fromEntries(
    Object.entries(all).map(([name, ms]) => [
      name,
      {
        rps: median(ms.map((m) => m.rps)),
        p50: median(ms.map((m) => m.p50)),
        p99: median(ms.map((m) => m.p99)),
        non2xx: 0,
        errors: 0,
        rounds: ms.map((m) => Math.round(m.rps)),
        ...(ms.length > 0 && ms.every((m) => m.cpuUs !== undefined) && { cpuUs: median(ms.map((m) => m.cpuUs as number)) }),
      },
    ]),
  );
}
