/**
 * batchResponses holds a response that is ready at once until after its turn's I/O
 * (verifier/src/eventLoop.ts), over a real listening server, inside the request log: a route's own setImmediate, queued before the
 * hold, runs before the response is written, so what it sets is sent. Without the hold Koa writes
 * the response in the same turn and the header is missing. A request that already waited past
 * its turn is not held a second time.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import Koa from "koa";
import { startStack } from "../../test/support.js";
import { afterIo } from "../../verifier/src/eventLoop.js";
import { createApp } from "../app.js";
import { loadConfig } from "../config/config.js";
import { createLogger } from "../log.js";
import { Metrics } from "../metrics/metrics.js";
import { batchResponses } from "./batchResponses.js";
import { requestLog } from "./requestLog.js";

/** Serves `app` on a loopback port, asks for `/` five times and checks each answer is 200, then `check`s it. */
async function fetchFive(app: Koa, check: (res: Response) => Promise<void>): Promise<void> {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const { port } = server.address() as AddressInfo;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(res.status, 200);
      await check(res);
    }
  } finally {
    server.close();
  }
}

test("a response ready at once is written after the turn's I/O, and logged once", async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = new Koa();
  app.use(requestLog(log, new Metrics()));
  app.use(batchResponses());
  app.use((ctx) => {
    ctx.body = { status: "ok" };
    setImmediate(() => ctx.set("X-Late", "set in the check phase"));
  });
  await fetchFive(app, async (res) => {
    assert.deepEqual(await res.json(), { status: "ok" });
    assert.equal(res.headers.get("x-late"), "set in the check phase");
  });
  assert.equal(lines.filter((l) => l.msg === "request" && l.status === 200).length, 5);
});

test("a request that already waited past its turn (as a cached session check does) is not held again", async () => {
  const app = new Koa();
  app.use(requestLog(createLogger("silent"), new Metrics()));
  app.use(batchResponses());
  app.use(async (ctx) => {
    await afterIo();
    ctx.body = { status: "ok" };
    // A second hold would let this run before the response is written.
    setImmediate(() => ctx.set("X-Late", "set a turn later"));
  });
  await fetchFive(app, async (res) => {
    assert.equal(res.headers.get("x-late"), null);
  });
});

test("RESPONSE_BATCHING decides whether the service's app has the middleware (named, so a stack shows what runs)", async () => {
  const stack = await startStack();
  try {
    const names = (responseBatching: boolean) =>
      createApp({ ...stack.running.deps, config: { ...stack.running.deps.config, responseBatching } }).middleware.map((m) => m.name);
    assert.equal(stack.running.deps.config.responseBatching, true, "on by default");
    assert.deepEqual(names(true).slice(0, 3), ["requestLog", "batchResponses", "errorHandler"]);
    assert.equal(names(false).includes("batchResponses"), false);
    assert.equal(loadConfig({ RESPONSE_BATCHING: "off" }).responseBatching, false);
  } finally {
    await stack.stop();
  }
});
