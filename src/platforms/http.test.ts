import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { type FakePlatforms, startFakePlatforms } from "./fakeServer.js";
import { callPlatform } from "./http.js";
import { exchangeQqCode } from "./qq.js";
import { captureLog, unavailable } from "./testLog.js";
import type { ExchangeOptions, SecretApp } from "./types.js";

const qqApp = { platform: "qq", appid: "1110000001", secret: "qq-secret-in-the-url", name: "Reader" } satisfies SecretApp;
let fake: FakePlatforms;
let opts: ExchangeOptions;

before(async () => {
  fake = await startFakePlatforms({ apps: [qqApp] });
  opts = { apiBase: fake.apiBase("qq"), timeoutMs: 500, retries: 2, backoffMs: 5 };
});
after(() => fake.close());

test("an HTTP 4xx is a 502 at once: our request is wrong and would be wrong again", async () => {
  const { log, lines } = captureLog();
  fake.script("qq", "alice", { status: 404 });
  await assert.rejects(exchangeQqCode(qqApp, "alice", log, opts), unavailable);
  assert.equal(fake.calls("qq", "alice"), 1);
  assert.deepEqual(
    lines.map((l) => [l.level, l.platform, l.platformApi, l.attempt, l.reason]),
    [[40, "qq", "jscode2session", 0, "HTTP 404"]],
  );
});

test("a network error is retried with backoff, then a 502; no log line holds the URL or its secret", async () => {
  const { log, lines } = captureLog();
  // A port that refuses: taken, then released.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const started = Date.now();
  await assert.rejects(exchangeQqCode(qqApp, "bob", log, { ...opts, apiBase: `http://127.0.0.1:${port}`, backoffMs: 40 }), unavailable);
  assert.ok(Date.now() - started >= 60, "waited between attempts (at least half of 40 + 80 ms)");
  assert.deepEqual(
    lines.map((l) => [l.attempt, l.reason]),
    [
      [0, "network error"],
      [1, "network error"],
      [2, "network error"],
    ],
  );
  const text = JSON.stringify(lines);
  assert.ok(!text.includes("qq-secret-in-the-url") && !text.includes("bob") && !text.includes(String(port)), text);
});

test("each attempt is observed: retryable, timeout, http_4xx, bad_body, the platform's value, ok", async () => {
  const { log } = captureLog();
  const seen: string[] = [];
  const observed = { ...opts, timeoutMs: 150, observe: (api: string, outcome: string) => seen.push(`${api}:${outcome}`) };
  fake.script("qq", "carol", { status: 500 });
  await exchangeQqCode(qqApp, "carol", log, observed);
  fake.script("qq", "dave", "timeout");
  await assert.rejects(exchangeQqCode(qqApp, "dave", log, observed));
  fake.script("qq", "erin", { status: 400 });
  await assert.rejects(exchangeQqCode(qqApp, "erin", log, observed));
  fake.script("qq", "frank", "badjson");
  await assert.rejects(exchangeQqCode(qqApp, "frank", log, observed));
  fake.script("qq", "grace", { error: 40029 });
  await assert.rejects(exchangeQqCode(qqApp, "grace", log, observed));
  assert.deepEqual(seen, [
    "jscode2session:retryable",
    "jscode2session:ok",
    "jscode2session:timeout",
    "jscode2session:http_4xx",
    "jscode2session:bad_body",
    "jscode2session:40029",
  ]);
});

test("a JSON body that is not an object is a 502; JSON served as text/html is read", async () => {
  const { log } = captureLog();
  const server = await fakeWith('["not", "an", "object"]');
  await assert.rejects(
    callPlatform({ platform: "baidu", api: "x", url: server.url, method: "POST", form: { a: "1" } }, { ...opts, apiBase: server.url }, log),
    unavailable,
  );
  await server.close();
  const html = await fakeWith('{"openid": "o1"}');
  const answer = await callPlatform({ platform: "baidu", api: "x", url: html.url, method: "GET" }, { ...opts, apiBase: html.url }, log);
  assert.deepEqual(answer, { body: { openid: "o1" }, text: '{"openid": "o1"}' });
  await html.close();
});

/** A server answering every request with `body` as text/html. */
async function fakeWith(body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const { createServer: createHttpServer } = await import("node:http");
  const server = createHttpServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
