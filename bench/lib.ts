/** Benchmark plumbing: processes on loopback, a private redis-server, wrk and autocannon runs; the figures from stats.ts. */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { promisify } from "node:util";
import autocannon from "autocannon";
import type { Measure } from "./stats.js";

export {
  alternate,
  cpuMicros,
  formatSpread,
  type Measure,
  median,
  pairedRatio,
  pairedRatioSpread,
  type Spread,
  withServerCpu,
} from "./stats.js";

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

/**
 * wrk (C, from Debian's packages) loads a small machine far less than autocannon (JavaScript),
 * so the server, not the load generator, is what gets measured; autocannon is the fallback that
 * bench's own install provides. BENCH_LOADGEN=autocannon forces it.
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
