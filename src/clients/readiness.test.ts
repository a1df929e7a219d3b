import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger } from "../log.js";
import { BackendNotReadyError, redactUrls, startupWait, waitUntilReady } from "./readiness.js";

test("a URL's password never reaches a waiting line", () => {
  assert.equal(redactUrls("connect to redis://:s3cret@10.0.0.1:6379 failed"), "connect to redis://:***@10.0.0.1:6379 failed");
  assert.equal(redactUrls("postgresql://app:p%40ss@db:5432/tongxing"), "postgresql://app:***@db:5432/tongxing");
  assert.equal(redactUrls("connect ECONNREFUSED 127.0.0.1:6379"), "connect ECONNREFUSED 127.0.0.1:6379");
});

test("waits while the attempt fails, logs why every few seconds, and gives up at the deadline naming the backend", async () => {
  const lines: { level: number; msg: string }[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const wait = startupWait(createLogger("info", out as never), 1);
  let calls = 0;
  const started = Date.now();
  await assert.rejects(
    waitUntilReady(
      "Thing",
      async () => {
        calls++;
        throw new Error("refused by postgresql://u:pw@h/db");
      },
      wait,
    ),
    (err: Error) => err instanceof BackendNotReadyError && /^Thing not ready within STARTUP_TIMEOUT \(1 s\)/.test(err.message),
  );
  assert.ok(Date.now() - started < 2000);
  assert.ok(calls > 2, "it tried again");
  assert.deepEqual(
    lines.map((l) => l.msg),
    ["waiting for Thing: refused by postgresql://u:***@h/db"],
  );

  let tries = 0;
  const value = await waitUntilReady(
    "Thing",
    async () => (++tries < 3 ? Promise.reject(new Error("not yet")) : 42),
    startupWait(createLogger("silent"), 5),
  );
  assert.equal(value, 42);
});

test("an attempt that hangs is waited out, never taken for a permanent failure; the reason before the deadline is kept", async () => {
  let calls = 0;
  await assert.rejects(
    waitUntilReady(
      "Thing",
      // Refused once, then a connection that never answers (a server that drops packets).
      () => (++calls === 1 ? Promise.reject(new Error("connect ECONNREFUSED")) : new Promise(() => {})),
      startupWait(createLogger("silent"), 1),
      (err) => !/ECONNREFUSED/.test((err as Error).message),
    ),
    (err: Error) => err instanceof BackendNotReadyError && /giving up: connect ECONNREFUSED$/.test(err.message),
  );
  assert.equal(calls, 2);
});
