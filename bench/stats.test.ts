import assert from "node:assert/strict";
import { test } from "node:test";
import { alternate, formatSpread, type Measure, pairedRatio, pairedRatioSpread, withServerCpu } from "./stats.js";

// One run's scenario 10 rounds (tongxing, cache on, against bare Koa): per-round ratios
// 0.97, 0.58, 0.54, 0.48, 0.64, 0.71, 0.77.
const checked = [8215, 9648, 8291, 9761, 12974, 13930, 13693];
const bare = [8500, 16706, 15434, 20247, 20244, 19739, 17846];

test("the spread of per-round ratios: lowest, quartiles around the median, highest", () => {
  const s = pairedRatioSpread(checked, bare);
  assert.equal(s.median, pairedRatio(checked, bare));
  assert.equal(s.median.toFixed(2), "0.64");
  assert.equal(s.min.toFixed(2), "0.48");
  assert.equal(s.max.toFixed(2), "0.97");
  assert.ok(s.min < s.q1 && s.q1 < s.median && s.median < s.q3 && s.q3 < s.max, JSON.stringify(s));
});

test("a spread is printed as the median, then the middle half of the rounds and all of them", () => {
  assert.equal(
    formatSpread({ min: 0.4812, q1: 0.5612, median: 0.6433, q3: 0.7404, max: 0.9665 }),
    "0.64 (middle half of rounds 0.56-0.74, all 0.48-0.97)",
  );
  assert.equal(formatSpread({ min: 0.4812, q1: 0.5612, median: 0.6433, q3: 0.7404, max: 0.9665 }, false), "0.64 (0.56-0.74)");
});

test("rounds that did not pair (a round missing on one side), or none at all, make the spread NaN, not a number", () => {
  assert.ok(Number.isNaN(pairedRatioSpread([1, 2, 3], [1, 2]).median));
  assert.ok(Number.isNaN(pairedRatioSpread([], []).median));
  assert.ok(Number.isNaN(pairedRatio([], [])));
});

/** Spends `ms` milliseconds of this process's CPU time (not wall time: CI may share the core). */
function burn(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ms * 1000) return;
  }
}
const answered = (rps: number): Measure => ({ rps, p50: 1, p99: 2, non2xx: 0, errors: 0 });

test("withServerCpu: the process's CPU time over the run ÷ the requests it answered, in microseconds", async () => {
  // 300 ms of this process's CPU for 100 requests (100 req/s for 1 s): 3,000 µs a request,
  // give or take the 10 ms clock tick /proc counts in.
  const m = await withServerCpu(process.pid, 1, async () => {
    burn(300);
    return answered(100);
  })();
  assert.equal(m.rps, 100);
  assert.ok(m.cpuUs !== undefined && m.cpuUs > 2_600 && m.cpuUs < 3_600, `cpuUs ${m.cpuUs}`);
});

test("alternate carries the median CPU per request of a name measured with it, and none for one without", async () => {
  let n = 0;
  const costs = [30, 10, 20];
  const results = await alternate(3, {
    measured: async () => ({ ...answered(1000), cpuUs: costs[n++ % 3] as number }),
    plain: async () => answered(1000),
  });
  assert.equal(results.measured?.cpuUs, 20);
  assert.equal(results.plain?.cpuUs, undefined);
});
