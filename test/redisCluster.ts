/**
 * A real 3-master Redis Cluster on loopback, from the local redis-server binary, for the
 * session suite's cluster run. Stops by itself with the test process. Started unformed, its
 * nodes answer but own no slots, as while a cluster and its clients start together. With
 * `replicas: 1` each master gets a replica, and the handle can restart a node, fail a master
 * over to its replica and move a slot, as operators do.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface RedisClusterHandle {
  /** "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3" for REDIS_CLUSTER_NODES. */
  nodes: string;
  /** Every node's port: the three masters first, then their replicas. */
  ports: number[];
  /** Assigns the slots (redis-cli --cluster create) and waits for cluster_state:ok everywhere. */
  form(): Promise<void>;
  /** SIGKILLs the node on `port` and starts it again (same node id, no data kept). */
  restart(port: number): Promise<void>;
  /** Runs `command` on the node at `port` with redis-cli; the reply's text. */
  cli(port: number, ...command: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** True when nothing listens on the port (checked by binding it). */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * Three ports whose cluster bus ports (port + 10000) are free too, all below the kernel's
 * ephemeral range (32768 and up) so that no outgoing connection can be holding one.
 */
export async function pickClusterPorts(count = 3): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 11000 + Math.floor(Math.random() * 5000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.flatMap((p) => [isFree(p), isFree(p + 10000)]));
    if (free.every(Boolean)) return ports;
  }
  throw new Error("no free ports for a Redis Cluster");
}

/**
 * Starts a cluster; retries with other ports if one does not come up.
 * @param opts.formed - false: the nodes run but no slot is assigned until `form()`
 * @param opts.ports - three ports from pickClusterPorts(), for clients told them beforehand
 * @param opts.password - requirepass (and masterauth) on every node; redis-cli gets it as REDISCLI_AUTH
 */
export async function startRedisCluster(
  opts: { formed?: boolean; ports?: number[]; replicas?: 0 | 1; password?: string } = {},
): Promise<RedisClusterHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts.formed ?? true, opts.ports, opts.replicas ?? 0, opts.password);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startOnce(formed: boolean, given: number[] | undefined, replicas: number, password?: string): Promise<RedisClusterHandle> {
  // redis-cli takes the password from the environment, never from its arguments.
  const auth = password ? { env: { ...process.env, REDISCLI_AUTH: password } } : {};
  const dir = await mkdtemp(path.join(tmpdir(), "tongxing-cluster-"));
  const ports = given ?? (await pickClusterPorts(3 * (1 + replicas)));
  const spawnNode = (port: number): ChildProcess =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `nodes-${port}.conf`,
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        // A replica syncs at once instead of after the 5 s default wait for more replicas.
        "--repl-diskless-sync-delay",
        "0",
        ...(password ? ["--requirepass", password, "--masterauth", password] : []),
      ],
      { stdio: "ignore" },
    );
  const procs = new Map(ports.map((port) => [port, spawnNode(port)]));
  const cli = async (port: number, ...command: string[]) => (await exec("redis-cli", ["-p", String(port), ...command], auth)).stdout;
  const stop = async () => {
    for (const p of procs.values()) p.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  };
  const form = async () => {
    await exec(
      "redis-cli",
      ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", String(replicas), "--cluster-yes"],
      auth,
    );
    for (const port of ports) await waitFor(async () => (await cli(port, "cluster", "info")).includes("cluster_state:ok"));
    // Each replica has its master's data, and every node knows the roles, before a test fails one over.
    for (const port of ports.slice(3))
      await waitFor(async () => (await cli(port, "info", "replication")).includes("master_link_status:up"));
    for (const port of ports)
      await waitFor(async () => (await cli(port, "cluster", "nodes")).split("slave").length - 1 === ports.length - 3);
  };
  const restart = async (port: number) => {
    const old = procs.get(port);
    const exited = new Promise((resolve) => old?.once("exit", resolve));
    old?.kill("SIGKILL");
    await exited;
    procs.set(port, spawnNode(port));
    await waitFor(async () => (await cli(port, "cluster", "info")).includes("cluster_state:ok"));
  };
  try {
    for (const port of ports) await waitFor(async () => (await cli(port, "ping")).trim() === "PONG");
    if (formed) await form();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes: ports
      .slice(0, 3)
      .map((p) => `127.0.0.1:${p}`)
      .join(","),
    ports,
    form,
    restart,
    cli,
    stop,
  };
}

async function waitFor(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() - started > ms) throw new Error("redis cluster did not come up");
    await new Promise((r) => setTimeout(r, 100));
  }
}
