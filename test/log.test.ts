/**
 * The process's log on stdout as an operator reads it: a request's line comes out without
 * waiting for more traffic, every line is one JSON object, and the line logged just before the
 * process exits is not lost. The server's lines are batched (LOG_BATCHING, src/logBatching.ts:
 * at most 10 ms late, and written by an exit handler when the process exits first) over pino's
 * asynchronous stdout destination; these run with it on, its default.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { runUntilExit, startProductionProcess } from "./process.js";
import { APPID, SECRET } from "./support.js";

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const jsonLines = (out: string) =>
  out
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test("a request's log line reaches stdout on an otherwise idle server, one JSON object per line", async () => {
  const server = await startProductionProcess(cleanups);
  const requestId = `log-${randomBytes(6).toString("hex")}`;
  const res = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": requestId } });
  assert.equal(res.status, 200);
  let line: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && !line; i++) {
    line = jsonLines(server.output()).find((l) => l.requestId === requestId);
    if (!line) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(line, `the request's line within 2 s of its answer, with no other traffic:\n${server.output()}`);
  assert.equal(line.msg, "request");
  assert.equal(line.route, "/healthz");
  assert.equal(line.status, 200);
});

test("the line logged just before the process exits is written (a failed start's fatal line)", async () => {
  // Run to its end: the exit code, and stdout read to its last byte.
  const { code, stdout } = await runUntilExit({
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    // Nothing listens on port 1: the start gives up after STARTUP_TIMEOUT, and main.ts logs it,
    // then exits.
    DATABASE_URL: "postgresql://postgres@127.0.0.1:1/tongxing",
    STARTUP_TIMEOUT: "1",
    WECHAT_APPID: APPID,
    WECHAT_SECRET: SECRET,
    SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: "info",
  });
  assert.equal(code, 1);
  const fatal = jsonLines(stdout).find((l) => /^PostgreSQL not ready within STARTUP_TIMEOUT/.test(String(l.msg)));
  assert.ok(fatal, `the fatal line is on stdout:\n${stdout}`);
  assert.equal(fatal.level, 60);
});
