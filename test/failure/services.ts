/**
 * Private Redis and PostgreSQL servers that a failure test may kill and start again, on free
 * loopback ports, from the machine's own redis-server and PostgreSQL binaries (PostgreSQL runs
 * as the postgres user, as it refuses to run as root). Everything lives in a temporary folder.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() - started > ms) throw new Error(`${what} did not come up in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A redis-server with an append-only file fsynced on every write, so a kill loses nothing. */
export class PrivateRedis {
  private proc: ChildProcess | undefined;
  port = 0;
  private dir = "";

  async start(): Promise<this> {
    // A port set before the first start is kept: a client can be pointed at it before it listens.
    if (!this.port) this.port = await freePort();
    if (!this.dir) this.dir = await mkdtemp(path.join(tmpdir(), "tongxing-redis-"));
    this.proc = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
      ],
      { stdio: "ignore" },
    );
    await waitFor(async () => (await exec("redis-cli", ["-p", String(this.port), "ping"])).stdout.trim() === "PONG", 10_000, "redis");
    return this;
  }

  /** SIGKILL: no chance to say goodbye to clients. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** A PostgreSQL cluster made with initdb (trust auth) and run with pg_ctl as the postgres user. */
export class PrivatePostgres {
  port = 0;
  private dir = "";
  private bin = "";

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/tongxing`;
  }

  private async asPostgres(cmd: string, args: string[]): Promise<void> {
    await exec("runuser", ["-u", "postgres", "--", path.join(this.bin, cmd), ...args], { timeout: 60_000 });
  }

  async init(): Promise<this> {
    const versions = (await readdir("/usr/lib/postgresql")).sort();
    this.bin = `/usr/lib/postgresql/${versions.at(-1)}/bin`;
    this.dir = await mkdtemp(path.join(tmpdir(), "tongxing-pg-"));
    await exec("chown", ["postgres:postgres", this.dir]);
    await chmod(this.dir, 0o700);
    this.port = await freePort();
    await this.asPostgres("initdb", ["-D", path.join(this.dir, "data"), "--auth=trust", "-U", "postgres", "--no-sync"]);
    return this;
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`;
    await this.asPostgres("pg_ctl", ["-D", path.join(this.dir, "data"), "-o", opts, "-l", path.join(this.dir, "log"), "-w", "start"]);
  }

  /** Immediate shutdown: connections are cut as in a crash. */
  async stop(): Promise<void> {
    await this.asPostgres("pg_ctl", ["-D", path.join(this.dir, "data"), "-m", "immediate", "-w", "stop"]);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
