/**
 * The session cache in a partition that leaves its invalidation connection open but silent (no
 * FIN, no RST: a half-open connection). Redis sends the invalidation of a revoke into the void;
 * the cache must stop answering within its stated bound (SESSION_CACHE_PROOF_MS), because an
 * answer from memory is only given while the invalidation connection has recently proved, with a
 * PING answered behind every invalidation sent before it, that it still delivers.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { SESSION_CACHE_PROOF_MS } from "../../verifier/src/sessionCache.js";
import { sidOf } from "../../verifier/src/token.js";
import { CuttableProxy } from "../proxy.js";
import { REDIS_URL, type Stack, startStack } from "../support.js";

let proxy: CuttableProxy;
let stack: Stack;
before(async () => {
  proxy = await new CuttableProxy(Number(new URL(REDIS_URL).port || 6379)).start();
  stack = await startStack({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, METRICS_TOKEN: "metrics-token-for-tests" });
});
after(async () => {
  await stack.stop();
  await proxy.stop();
});

async function hits(): Promise<number> {
  const res = await stack.request("GET", "/metrics", { headers: { authorization: "Bearer metrics-token-for-tests" } });
  const line = res.text.split("\n").find((l) => l.startsWith('tongxing_session_cache_total{result="hit"}'));
  return line ? Number(line.split(" ")[1]) : 0;
}

test("a silent invalidation connection: a session deleted behind the cache is refused once the bound has passed", async () => {
  const { token } = (await stack.login("half-open")).body as { token: string };
  // Cached: the second check is a hit (the cache is usable once the first PING came back).
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const before = await hits();
    assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200);
    if ((await hits()) > before) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const cached = await hits();
  assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200);
  assert.equal(await hits(), cached + 1, "answered from the cache");

  // The invalidation connection (it names itself tongxing-invalidate-<pid>) goes silent, then the
  // session is deleted by a client the cache cannot hear of.
  proxy.blackhole(/tongxing-invalidate/);
  const silentSince = Date.now();
  const direct = new Redis(REDIS_URL);
  try {
    await direct.hdel(`${stack.prefix}{u${token.split(".")[0]}}`, sidOf(token));
  } finally {
    direct.disconnect();
  }
  await new Promise((r) => setTimeout(r, silentSince + SESSION_CACHE_PROOF_MS + 5 - Date.now()));
  const res = await stack.request("GET", "/auth/session", { token });
  assert.equal(res.status, 401, `${Date.now() - silentSince} ms after the connection went silent, the deleted session was still served`);
});
