/**
 * The bench's figures from its rounds: medians, per-round ratios and their spread, ABBA rounds,
 * a server's CPU per request. Nothing here needs bench/'s own packages, so the root's `npm test`
 * runs its tests (bench/stats.test.ts) without them.
 */
import { readFileSync } from "node:fs";
import * as ss from "simple-statistics";

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
