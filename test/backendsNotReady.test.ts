/**
 * Backends that are not ready when tongxing starts, as when a whole stack starts together: a
 * Redis Cluster whose nodes answer but own no slots yet, a PostgreSQL or a Redis that starts
 * listening a little later, and one that never does. tongxing runs as a real process: it says
 * what it waits for every few seconds, listens within seconds of the backend being ready, and
 * gives up after STARTUP_TIMEOUT with one fatal line and exit code 1.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { dropDatabase } from "../src/db/database.js";
import { FakeWechat } from "../src/wechat/fakeServer.js";
import { freePort, PrivatePostgres, PrivateRedis } from "./failure/services.js";
import { productionEnv, type SpawnedProcess, spawnProcess, untilListening } from "./process.js";
import { pickClusterPorts, startRedisCluster } from "./redisCluster.js";
import { APPID, clearRedisPrefix, freshDatabaseUrl, SECRET } from "./support.js";
import { postgresServerTool, redisServerTool } from "./tools.js";

let fake: FakeWechat;
const cleanups: (() => Promise<unknown>)[] = [];
before(async () => {
  fake = await new FakeWechat({ appid: APPID, secret: SECRET }).start();
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await fake.stop();
});

/** Spawns a production tongxing with `extra` over its environment; killed at the end. */
function spawnTongxing(extra: Record<string, string>, databaseUrl = freshDatabaseUrl()): SpawnedProcess {
  const prefix = `tnr${randomBytes(3).toString("hex")}:`;
  cleanups.push(() => clearRedisPrefix(prefix));
  cleanups.push(() => dropDatabase(databaseUrl));
  const spawned = spawnProcess(productionEnv(fake.baseUrl, databaseUrl, prefix, extra));
  cleanups.push(async () => spawned.child.kill("SIGKILL"));
  return spawned;
}

interface LogLine {
  level: number;
  time: number;
  msg: string;
}
function logLines(output: string): LogLine[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Resolves once `count` log lines match `pattern`; rejects after `ms`. */
async function untilLines(spawned: SpawnedProcess, pattern: RegExp, count: number, ms: number): Promise<LogLine[]> {
  const started = Date.now();
  for (;;) {
    const found = logLines(spawned.output()).filter((l) => pattern.test(l.msg));
    if (found.length >= count) return found;
    if (Date.now() - started > ms) throw new Error(`no ${count} lines matching ${pattern} in ${ms} ms:\n${spawned.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Asserts the waiting lines came every few seconds: none more than 5 s after the previous. */
function assertEveryFewSeconds(lines: LogLine[]): void {
  for (let i = 1; i < lines.length; i++) {
    const gap = (lines[i] as LogLine).time - (lines[i - 1] as LogLine).time;
    assert.ok(gap <= 5000, `waiting lines ${gap} ms apart`);
  }
}

test("a Redis Cluster whose slots are not assigned yet: waiting lines, then ready within seconds of it forming", {
  skip: redisServerTool.skip,
  timeout: 90_000,
}, async () => {
  const cluster = await startRedisCluster({ formed: false });
  cleanups.push(() => cluster.stop());
  const tx = spawnTongxing({ REDIS_CLUSTER_NODES: cluster.nodes, STARTUP_TIMEOUT: "60" });
  const waiting = await untilLines(tx, /^waiting for Redis Cluster: slots not assigned/, 2, 20_000);
  assertEveryFewSeconds(waiting);
  assert.doesNotMatch(tx.output(), /tongxing listening/, "not listening while the cluster has no slots");

  await cluster.form();
  const formedAt = Date.now();
  const url = await untilListening(tx, undefined, 30_000);
  const readyAfter = Date.now() - formedAt;
  assert.ok(readyAfter < 5000, `listening ${readyAfter} ms after the cluster formed`);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.equal((await fetch(`${url}/readyz`)).status, 200, tx.output());
});

test("a Redis Cluster whose nodes listen only a little after tongxing starts: ready within seconds of it forming", {
  skip: redisServerTool.skip,
  timeout: 90_000,
}, async () => {
  const ports = await pickClusterPorts();
  const tx = spawnTongxing({ REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(","), STARTUP_TIMEOUT: "60" });
  await untilLines(tx, /^waiting for Redis Cluster: no seed node answers/, 1, 20_000);
  const cluster = await startRedisCluster({ ports });
  cleanups.push(() => cluster.stop());
  const formedAt = Date.now();
  const url = await untilListening(tx, undefined, 30_000);
  const readyAfter = Date.now() - formedAt;
  assert.ok(readyAfter < 5000, `listening ${readyAfter} ms after the cluster formed`);
  assert.equal((await fetch(`${url}/readyz`)).status, 200, tx.output());
});

test("a Redis Cluster with every slot assigned but a master that says cluster_state:fail: waiting lines naming it, then ready once it is ok", {
  skip: redisServerTool.skip,
  timeout: 90_000,
}, async () => {
  // A master answers keyed commands with CLUSTERDOWN while it sees a slot uncovered, as every
  // node does in the first seconds after a cluster forms or a node rejoins. Slot 0 is the first
  // master's (redis-cli --cluster create); without it, that master alone says the cluster is down.
  const cluster = await startRedisCluster();
  cleanups.push(() => cluster.stop());
  const [first] = cluster.ports as [number];
  await cluster.cli(first, "cluster", "delslots", "0");
  for (const deadline = Date.now() + 10_000; !(await cluster.cli(first, "cluster", "info")).includes("cluster_state:fail"); ) {
    assert.ok(Date.now() < deadline, "the master says cluster_state:fail without slot 0");
    await new Promise((r) => setTimeout(r, 100));
  }
  const tx = spawnTongxing({ REDIS_CLUSTER_NODES: cluster.nodes, STARTUP_TIMEOUT: "60" });
  const waiting = await untilLines(
    tx,
    new RegExp(`^waiting for Redis Cluster: 127\\.0\\.0\\.1:${first} says cluster_state:fail`),
    2,
    20_000,
  );
  assertEveryFewSeconds(waiting);
  assert.doesNotMatch(
    tx.output(),
    /tongxing listening|failed to start/,
    "neither listening nor given up while a master says the cluster is down",
  );

  await cluster.cli(first, "cluster", "addslots", "0");
  const okAt = Date.now();
  const url = await untilListening(tx, undefined, 30_000);
  assert.ok(Date.now() - okAt < 5000, "listening within seconds of the master being ok again");
  assert.equal((await fetch(`${url}/readyz`)).status, 200, tx.output());
});

for (const backend of ["PostgreSQL", "Redis"] as const) {
  test(`a ${backend} that never answers: one fatal line naming it after STARTUP_TIMEOUT, exit 1, no password logged`, {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const password = `pw${randomBytes(8).toString("hex")}`;
    const tx =
      backend === "PostgreSQL"
        ? spawnTongxing({ STARTUP_TIMEOUT: "3" }, `postgresql://postgres:${password}@127.0.0.1:${port}/tongxing_never`)
        : spawnTongxing({ STARTUP_TIMEOUT: "3", REDIS_URL: `redis://:${password}@127.0.0.1:${port}` });
    const started = Date.now();
    const code = await Promise.race([tx.exited, new Promise((r) => setTimeout(() => r("still running"), 20_000))]);
    const tookMs = Date.now() - started;
    const out = tx.output();
    assert.equal(code, 1, out);
    assert.ok(tookMs < 15_000, `exited ${tookMs} ms after start`);
    const lines = logLines(out);
    const fatal = lines.filter((l) => l.level === 60);
    assert.equal(fatal.length, 1, out);
    assert.match((fatal[0] as LogLine).msg, new RegExp(`${backend}.*STARTUP_TIMEOUT \\(3 s\\)`));
    assert.ok(lines.filter((l) => l.msg.startsWith(`waiting for ${backend}:`)).length >= 1, out);
    assert.ok(!out.includes(password), "the password in the URL is never logged");
  });
}

test("PostgreSQL and Redis that start listening a little after tongxing: ready shortly after", {
  skip: postgresServerTool().skip || redisServerTool.skip,
  timeout: 90_000,
}, async () => {
  const postgres = await new PrivatePostgres().init();
  cleanups.push(() => postgres.destroy());
  const redis = new PrivateRedis();
  redis.port = await freePort();
  cleanups.push(() => redis.destroy());
  const tx = spawnTongxing({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, STARTUP_TIMEOUT: "60" }, postgres.url);

  await untilLines(tx, /^waiting for PostgreSQL: /, 2, 20_000);
  await postgres.start();
  await untilLines(tx, /^waiting for Redis: /, 1, 20_000);
  await redis.start();
  const upAt = Date.now();
  const url = await untilListening(tx, undefined, 30_000);
  const readyAfter = Date.now() - upAt;
  assert.ok(readyAfter < 5000, `listening ${readyAfter} ms after Redis was up`);
  assert.equal((await fetch(`${url}/readyz`)).status, 200, tx.output());
  assertEveryFewSeconds(logLines(tx.output()).filter((l) => l.msg.startsWith("waiting for PostgreSQL:")));
});
