/**
 * afterIo(): one setImmediate per turn shared by every caller, settling after the turn's I/O
 * callbacks and before the next turn's timers; a call from the check phase waits for the next turn.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs";
import { test } from "node:test";
import { afterIo, settledTurns } from "./eventLoop.js";

test("callers in one turn share one wait, which settles once", async () => {
  const before = settledTurns();
  const first = afterIo();
  const second = afterIo();
  assert.equal(first, second, "one promise for the turn");
  await Promise.all([first, second]);
  assert.equal(settledTurns(), before + 1);
});

test("from an I/O callback it settles in that turn's check phase, before a timer due now", async () => {
  const order = await new Promise<string[]>((resolve, reject) => {
    readFile(import.meta.filename, (err) => {
      if (err) return reject(err);
      // In the poll phase: the check phase comes before the next turn's timers.
      const seen: string[] = [];
      setTimeout(() => {
        seen.push("timer");
        resolve(seen);
      }, 0);
      void afterIo().then(() => seen.push("afterIo"));
    });
  });
  assert.deepEqual(order, ["afterIo", "timer"]);
});

test("called from the check phase, it is a new wait that settles in the next turn", async () => {
  const first = afterIo();
  const [second, turnsThen] = await new Promise<[Promise<void>, number]>((resolve) => {
    // Queued after afterIo's own setImmediate, so this runs in the same check phase, after it.
    setImmediate(() => resolve([afterIo(), settledTurns()]));
  });
  await first;
  assert.notEqual(second, first);
  await second;
  assert.equal(settledTurns(), turnsThen + 1);
});
