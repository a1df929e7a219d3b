/**
 * A real 3-master Redis Cluster on loopback, from the local redis-server binary, for the
 * session suite's cluster run. Stops by itself with the test process. Started unformed, its
 * nodes answer but own no slots, as while a cluster and its clients start together.
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
  /** Assigns the slots (redis-cli --cluster create) and waits for cluster_state:ok everywhere. */
  form(): Promise<void>;
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
export async function pickClusterPorts(): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 11000 + Math.floor(Math.random() * 5000);
    const ports = [base, base + 1, base + 2];
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
export async function startRedisCluster(opts: { formed?: boolean; ports?: number[]; password?: string } = {}): Promise<RedisClusterHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts.formed ?? true, opts.ports, opts.password);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startOnce(formed: boolean, given?: number[], password?: string): Promise<RedisClusterHandle> {
  const cli = (args: string[]) => exec("redis-cli", args, password ? { env: { ...process.env, REDISCLI_AUTH: password } } : {});
  const dir = await mkdtemp(path.join(tmpdir(), "tongxing-cluster-"));
  const ports = given ?? (await pickClusterPorts());
  const procs: ChildProcess[] = ports.map((port) =>
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
        ...(password ? ["--requirepass", password, "--masterauth", password] : []),
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    for (const p of procs) p.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  };
  const form = async () => {
    await cli(["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"]);
    for (const port of ports) {
      await waitFor(async () => (await cli(["-p", String(port), "cluster", "info"])).stdout.includes("cluster_state:ok"));
    }
  };
  try {
    for (const port of ports) await waitFor(async () => (await cli(["-p", String(port), "ping"])).stdout.trim() === "PONG");
    if (formed) await form();
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(","), form, stop };
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
