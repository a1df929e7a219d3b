/**
 * LineBatcher gathers log lines into batches of up to BATCH_BYTES, handed on at the latest
 * BATCH_WAIT_MS after a batch's first line, in the order logged; `take` empties it for the exit
 * handler. The process-level behaviour (a request's line on an idle server, the lines of a
 * graceful or fatal exit) is in test/log.test.ts.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
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

test("flush(cb), as pino's logger.flush(cb) calls it, hands the batch on and then calls back", async () => {
  const { batches, out } = recorder();
  const batcher = new LineBatcher(out);
  batcher.write(line(0));
  let called = 0;
  batcher.flush(() => called++);
  assert.deepEqual(batches, [line(0)]);
  assert.equal(called, 1, "at once, to an out that cannot tell when it has written");
  // Through pino to its own destination: called back once that has written (here to /dev/null).
  const { pino } = await import("pino");
  const logger = pino({ base: null, timestamp: false }, new LineBatcher(pino.destination({ dest: "/dev/null", sync: false })));
  logger.info("held");
  await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
});

test("LOG_BATCHING is on by default and off on request", () => {
  assert.equal(loadConfig({}).logBatching, true);
  assert.equal(loadConfig({ LOG_BATCHING: "off" }).logBatching, false);
  assert.throws(() => loadConfig({ LOG_BATCHING: "sometimes" }), /LOG_BATCHING/);
});

test("lines still gathered at exit reach stdout even when it is a pipe that is full at that moment", async () => {
  // The child makes fd 1 non-blocking (any use of process.stdout does, for a pipe), fills it until
  // the kernel says EAGAIN and, after a pause, still EAGAIN (its parent has stopped reading), logs
  // a few lines (held in the batch) and exits. So the exit handler meets a full pipe, as when a
  // container's log reader falls behind.
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      `
      import { writeSync } from "node:fs";
      import { batchedStdout } from ${JSON.stringify(new URL("./logBatching.ts", import.meta.url).href)};
      process.stdout;
      const out = batchedStdout();
      const filler = "f".repeat(1023) + "\\n";
      const fill = () => {
        let n = 0;
        for (;;) {
          try { n += writeSync(1, filler); } catch (err) { if (err.code === "EAGAIN") return n; throw err; }
        }
      };
      while (fill() > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      for (let i = 0; i < 5; i++) out.write(JSON.stringify({ msg: "held", i }) + "\\n");
      process.stderr.write("full\\n", () => process.exit(1));
      `,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const closed = once(child, "close");
  // Reads up to the stream's high-water mark, then stops: nothing is taken out of the buffer yet
  // (and a 'readable' listener keeps Node from draining it when the child exits).
  const hold = () => {};
  child.stdout.on("readable", hold);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  for (const deadline = Date.now() + 20_000; !stderr.includes("full"); await sleep(20))
    assert.ok(Date.now() < deadline && child.exitCode === null, `the child filled its stdout: ${stderr}`);
  // Read only once the child has had time to meet the full pipe in its exit handler.
  await sleep(300);
  let stdout = "";
  child.stdout.off("readable", hold);
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  const [code] = (await closed) as [number];
  assert.equal(code, 1, stderr);
  const held = stdout.split("\n").filter((l) => l.includes('"held"'));
  assert.deepEqual(
    held.map((l) => JSON.parse(l).i),
    [0, 1, 2, 3, 4],
    "every held line, once, in order",
  );
});
