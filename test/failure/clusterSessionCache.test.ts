/**
 * The session cache on a real Redis Cluster (3 masters, each with a replica), with two real
 * tongxing processes: a logout, a revoke and a ban on A are refused by B, which had the session
 * cached; a node down → B answers from Redis, not its cache, until the node is back; a failover
 * (the session's master replaced by its replica) and a resharding of the session's slot while
 * B had it cached → B refuses the session once A logs it out.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { dropDatabase } from "../../src/db/database.js";
import { ADMIN_TOKEN } from "../lifecycleSuite.js";
import { productionEnv, type ServerProcess, startProcess } from "../process.js";
import { type RedisClusterHandle, startRedisCluster } from "../redisCluster.js";
import { freshDatabaseUrl } from "../support.js";
import { redisServerTool } from "../tools.js";
import { checkSession, sessionCacheCount, startTongxing, type Tongxing } from "./harness.js";

const tool = redisServerTool;
const databaseUrl = freshDatabaseUrl();
let cluster: RedisClusterHandle | undefined;
let a: Tongxing | undefined;
let b: ServerProcess | undefined;
after(async () => {
  b?.child.kill("SIGKILL");
  await a?.stop();
  await cluster?.stop();
  await dropDatabase(databaseUrl);
});

/** Polls B right after A answered: how many checks B let through before refusing. */
async function refusedAfter(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  for (let passed = 0; ; passed++) {
    const status = await checkSession(url, token);
    if (status === 401) return passed;
    assert.equal(status, 200, "only 200 (not yet told) or 401");
    if (performance.now() - t0 > 2000) throw new Error("B still let the token through 2 s after A revoked it");
  }
}

async function until(what: string, ok: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The master (and its replica) serving `key`'s slot, by port. */
async function ownerOf(key: string): Promise<{ slot: number; master: number; replica: number; other: number }> {
  const handle = cluster as RedisClusterHandle;
  const slot = Number(await handle.cli(handle.ports[0] as number, "cluster", "keyslot", key));
  const lines = (await handle.cli(handle.ports[0] as number, "cluster", "nodes")).trim().split("\n");
  const nodes = lines
    .map((l) => l.split(" "))
    .map(([id, addr, flags, master, , , , , ...slots]) => ({
      id,
      port: Number(addr?.split("@")[0]?.split(":")[1]),
      isMaster: flags?.includes("master") && !flags.includes("fail"),
      master,
      owns: slots.some((r) => {
        const [lo, hi = lo] = r.split("-").map(Number);
        return slot >= (lo as number) && slot <= (hi as number);
      }),
    }));
  const owner = nodes.find((n) => n.isMaster && n.owns);
  const replica = nodes.find((n) => n.master === owner?.id);
  const other = nodes.find((n) => n.isMaster && !n.owns);
  assert.ok(owner && replica && other, "the slot has a master, a replica, and another master exists");
  return { slot, master: owner.port, replica: replica.port, other: other.port };
}

test("two instances on a Redis Cluster: the cache on B follows writes on A through restarts, failovers and resharding", {
  timeout: 240_000,
  skip: tool.skip,
}, async (t) => {
  assert.ok(tool.path, tool.missing);
  cluster = await startRedisCluster({ replicas: 1 });
  const env = { ADMIN_TOKEN, METRICS_TOKEN: "metrics-token-for-tests", SESSION_CACHE_TTL: "60000", REDIS_CLUSTER_NODES: cluster.nodes };
  a = await startTongxing({ databaseUrl, redisUrl: "redis://127.0.0.1:1", env });
  b = await startProcess(productionEnv(a.fake.baseUrl, databaseUrl, a.prefix, { REDIS_URL: "redis://127.0.0.1:1", ...env }));
  const bUrl = b.url;
  const prefix = a.prefix;
  const hit = async (token: string) => {
    assert.equal(await checkSession(bUrl, token), 200);
    const hits = await sessionCacheCount(bUrl, "hit");
    assert.equal(await checkSession(bUrl, token), 200);
    return (await sessionCacheCount(bUrl, "hit")) > hits;
  };
  const cached = async (token: string) => until("B answers from its cache", () => hit(token), 5000);
  const login = async (user: string) => (await a?.login(user))?.token as string;
  const admin = (method: string, path: string) =>
    fetch(`${a?.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const passes: number[] = [];

  // 1. logout, revoke (admin) and ban on A → refused by B, which had them cached.
  const s1 = await login("cc-logout");
  await cached(s1);
  assert.equal((await fetch(`${a.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": s1 } })).status, 204);
  passes.push(await refusedAfter(bUrl, s1));

  const s2 = await login("cc-revoke");
  await cached(s2);
  assert.equal((await admin("DELETE", `/admin/users/${s2.split(".")[0]}/sessions`)).status, 200);
  passes.push(await refusedAfter(bUrl, s2));

  const s3 = await login("cc-ban");
  await cached(s3);
  assert.equal((await admin("POST", `/admin/users/${s3.split(".")[0]}/ban`)).status, 200);
  passes.push(await refusedAfter(bUrl, s3));

  // 2. A node restarted (a master that does not hold the session): B cannot hear that node's
  // writes while it is down, so it answers every check from Redis until the node is back.
  const s4 = await login("cc-restart");
  await cached(s4);
  const owner4 = await ownerOf(`${prefix}{u${s4.split(".")[0]}}`);
  const bypassed = await sessionCacheCount(bUrl, "bypass");
  const restarted = cluster.restart(owner4.other);
  await until("B bypasses its cache", async () => {
    assert.equal(await checkSession(bUrl, s4), 200, "the session's own master still answers");
    return (await sessionCacheCount(bUrl, "bypass")) > bypassed;
  });
  await restarted;
  await cached(s4);
  assert.equal((await fetch(`${a.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": s4 } })).status, 204);
  passes.push(await refusedAfter(bUrl, s4));

  // 3. A failover: the session's replica takes over its master (CLUSTER FAILOVER) while B has
  // the session cached; A's logout, written to the new master, is refused by B.
  const s5 = await login("cc-failover");
  await cached(s5);
  const owner5 = await ownerOf(`${prefix}{u${s5.split(".")[0]}}`);
  await cluster.cli(owner5.replica, "cluster", "failover");
  await until("the replica is master", async () => (await cluster?.cli(owner5.replica, "role"))?.startsWith("master") ?? false);
  await until("A can write again", async () => (await a?.login("cc-failover-2"))?.status === 200);
  assert.equal((await fetch(`${a.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": s5 } })).status, 204);
  passes.push(await refusedAfter(bUrl, s5));

  // 4. The session's slot moved to another master while B has it cached; then A's logout.
  const s6 = await login("cc-reshard");
  await cached(s6);
  const key = `${prefix}{u${s6.split(".")[0]}}`;
  const from = await ownerOf(key);
  const [fromId, toId] = [
    (await cluster.cli(from.master, "cluster", "myid")).trim(),
    (await cluster.cli(from.other, "cluster", "myid")).trim(),
  ];
  await cluster.cli(from.other, "cluster", "setslot", String(from.slot), "importing", fromId);
  await cluster.cli(from.master, "cluster", "setslot", String(from.slot), "migrating", toId);
  const keys = (await cluster.cli(from.master, "cluster", "getkeysinslot", String(from.slot), "100")).trim().split("\n").filter(Boolean);
  assert.ok(keys.includes(key), "the user's hash is in the slot");
  await cluster.cli(from.master, "migrate", "127.0.0.1", String(from.other), "", "0", "5000", "KEYS", ...keys);
  // Every node is told (a replica answers with an error, which is fine); then gossip settles it.
  for (const port of cluster.ports) await cluster.cli(port, "cluster", "setslot", String(from.slot), "node", toId).catch(() => "");
  await until("the slot moved", async () => (await ownerOf(key)).master === from.other);
  await cached(s6);
  assert.equal((await fetch(`${a.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": s6 } })).status, 204);
  passes.push(await refusedAfter(bUrl, s6));

  t.diagnostic(`checks B let through after A answered (logout, revoke, ban, restart, failover, reshard): ${passes.join(", ")}`);
  assert.ok(Math.max(...passes) <= 1, "refused on the next request, or the one after at worst");
  assert.doesNotMatch(b.output(), /unhandled|uncaught/i);
});
