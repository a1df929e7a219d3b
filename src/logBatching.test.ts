/**
 * LineBatcher gathers log lines into batches of up to BATCH_BYTES, handed on at the latest
 * BATCH_WAIT_MS after a batch's first line, in the order logged; `take` empties it for the exit
 * handler. The process-level behaviour (a request's line on an idle server, the lines of a
 * graceful or fatal exit) is in test/log.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "./config/config.js";
import { BATCH_BYTES, BATCH_WAIT_MS, LineBatcher } from "./logBatching.js";

/** Where batches go: each one as it was handed on. */
function recorder() {
  const batches: string[] = [];
  return { batches, out: { write: (batch: string) => batches.push(batch) } };
}

const line = (i: number) => `${JSON.stringify({ level: 30, msg: "request", i, pad: "x".repeat(150) })}\n`;

test("lines under BATCH_BYTES are held, then handed on together within BATCH_WAIT_MS of the first", async () => {
  const { batches, out } = recorder();
  const batcher = new LineBatcher(out);
  for (let i = 0; i < 5; i++) batcher.write(line(i));
  assert.equal(batches.length, 0, "nothing is written per line");
  for (let waited = 0; batches.length === 0 && waited < 2000; waited += 5) await sleep(5);
  assert.deepEqual(batches, [[0, 1, 2, 3, 4].map(line).join("")]);
  // Nothing left behind: the timer is spent and a new line starts a new batch.
  batcher.write(line(5));
  await sleep(BATCH_WAIT_MS * 5);
  assert.deepEqual(batches.slice(1), [line(5)]);
});

test("a batch that reaches BATCH_BYTES is handed on at once, every line once and in order", () => {
  const { batches, out } = recorder();
  const batcher = new LineBatcher(out);
  const lines = Array.from({ length: 200 }, (_, i) => line(i));
  for (const l of lines) batcher.write(l);
  const written = batches.length;
  assert.ok(written >= 1, "full batches go without waiting for the timer");
  assert.ok(written <= Math.ceil(lines.join("").length / BATCH_BYTES), `${written} writes for 200 lines`);
  const longest = Math.max(...lines.map((l) => l.length));
  for (const b of batches) assert.ok(b.length >= BATCH_BYTES && b.length < BATCH_BYTES + longest, `a batch of ${b.length}`);
  batcher.flush();
  assert.equal(batches.join(""), lines.join(""));
});

test("take() returns what is gathered and empties the batcher, so the timer hands on nothing twice", async () => {
  const { batches, out } = recorder();
  const batcher = new LineBatcher(out);
  batcher.write(line(1));
  batcher.write(line(2));
  assert.equal(batcher.take(), line(1) + line(2));
  assert.equal(batcher.take(), "");
  await sleep(BATCH_WAIT_MS * 5);
  assert.deepEqual(batches, []);
});

test("LOG_BATCHING is on by default and off on request", () => {
  assert.equal(loadConfig({}).logBatching, true);
  assert.equal(loadConfig({ LOG_BATCHING: "off" }).logBatching, false);
  assert.throws(() => loadConfig({ LOG_BATCHING: "sometimes" }), /LOG_BATCHING/);
});
