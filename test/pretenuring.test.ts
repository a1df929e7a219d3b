/**
 * The server process runs with V8's allocation-site pretenuring off (src/main.ts says why):
 * V8's own trace of its pretenuring decisions stays silent once the server listens, under load.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { startProductionProcess } from "./process.js";

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

test("no pretenuring decisions after the server listens, across 4000 requests", async () => {
  // --trace-pretenuring-statistics: V8 prints a "pretenuring:" line for each young-generation
  // GC that found allocation-site feedback, which it collects only while pretenuring is on.
  const server = await startProductionProcess(cleanups, ["--trace-pretenuring-statistics", "--import", "tsx", "src/main.ts"]);
  const listenedAt = server.output().length;
  // Enough allocation for several young-generation GCs: 4000 requests, 16 at a time.
  for (let i = 0; i < 250; i++) {
    const answers = await Promise.all(Array.from({ length: 16 }, () => fetch(`${server.url}/healthz`).then((r) => r.status)));
    assert.deepEqual(new Set(answers), new Set([200]));
  }
  const trace = server.output().slice(listenedAt);
  assert.equal(trace.match(/pretenuring:.*/g), null, trace.slice(0, 2000));
});
