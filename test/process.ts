/**
 * Runs tongxing as a real process (src/main.ts through tsx, or a build) and waits for it to
 * listen, or runs it to its end; spawnProcess also starts the other programs a test needs (nginx).
 * For a test of the process itself: its start or refusal, exit code, a signal or a kill, its
 * stdout, the environment it reads. Anything else is quicker with startStack (test/support.ts),
 * the app in the test's own process.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { dropDatabase } from "../src/db/database.js";
import { FakeWechat } from "../src/wechat/fakeServer.js";
import { APPID, clearRedisPrefix, freshDatabaseUrl, SECRET } from "./support.js";

/**
 * The environment of a production-mode tongxing on a free loopback port against the fake WeChat
 * at `wechatUrl`, with its own database and Redis key prefix. `extra` overrides anything.
 */
export function productionEnv(
  wechatUrl: string,
  databaseUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: prefix,
    WECHAT_APPID: APPID,
    WECHAT_SECRET: SECRET,
    WECHAT_API_BASE: wechatUrl,
    SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    LOGIN_RATE_LIMIT: "1000000",
    WECHAT_CALL_RATE_LIMIT: "1000000",
    LOG_LEVEL: "info",
    // Production's default readiness drain (5 s) on every SIGTERM; shutdown.test.ts tests it.
    SHUTDOWN_DELAY: "0",
    ...extra,
  };
}

export interface ServerProcess extends SpawnedProcess {
  url: string;
}

/** A spawned process whose output is being collected, listening or not. */
export interface SpawnedProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr in the order they arrived. */
  output(): string;
  /** What it printed so far on stdout alone (its log), for a test of which stream a line is on. */
  stdout(): string;
  /** What it printed so far on stderr alone. */
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Spawns a process (by default tongxing's src/main.ts through tsx) collecting its stdout and
 * stderr, without waiting for anything. The caller kills it.
 */
export function spawnProcess(
  env: Record<string, string>,
  entry = ["--import", "tsx", "src/main.ts"],
  cwd?: string,
  command = process.execPath,
): SpawnedProcess {
  const child = spawn(command, entry, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], cwd });
  let out = "";
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    out += d;
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, stdout: () => stdout, stderr: () => stderr, exited };
}

/** A process that ran to its end: its exit code and everything it printed. */
export interface FinishedProcess {
  code: number | null;
  /** stdout and stderr in the order they arrived. */
  output: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs a process (by default tongxing's src/main.ts through tsx) to its end, for a start that
 * must fail or a command that exits by itself. Resolves once the process has exited and its
 * output has been read to the end ("close", not "exit"), so the last lines it wrote are there.
 * One still running after `ms` is killed and rejects: a process that starts after all fails the
 * test instead of hanging it.
 */
export async function runUntilExit(
  env: Record<string, string>,
  entry = ["--import", "tsx", "src/main.ts"],
  ms = 60_000,
): Promise<FinishedProcess> {
  const spawned = spawnProcess(env, entry);
  const closed = once(spawned.child, "close");
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    spawned.child.kill("SIGKILL");
  }, ms);
  const [code] = (await closed) as [number | null];
  clearTimeout(timer);
  if (timedOut) throw new Error(`still running after ${ms / 1000} s:\n${spawned.output()}`);
  return { code, output: spawned.output(), stdout: spawned.stdout(), stderr: spawned.stderr() };
}

/**
 * Waits until `spawned` prints the line that gives its URL; kills it when that takes over `ms`.
 * @param listening - matches the line that says it listens; group 1 is the URL
 */
export function untilListening(spawned: SpawnedProcess, listening = /"url":"([^"]+)".*tongxing listening/, ms = 60_000): Promise<string> {
  const { child, output, exited } = spawned;
  return new Promise<string>((resolve, reject) => {
    // A server that never says it listens is killed, so it cannot keep the test run alive.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not listening after ${ms / 1000} s:\n${output()}`));
    }, ms);
    const check = () => {
      const m = listening.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    check();
    child.stdout?.on("data", check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before listening:\n${output()}`));
    });
  });
}

/**
 * Starts a server process and waits for the log line that gives its URL.
 * @param entry - arguments to node, or with `opts.command` to that command
 * @param opts.listening - matches the line that says it listens; group 1 is the URL
 */
export async function startProcess(
  env: Record<string, string>,
  entry = ["--import", "tsx", "src/main.ts"],
  cwd?: string,
  opts: { command?: string; listening?: RegExp } = {},
): Promise<ServerProcess> {
  const spawned = spawnProcess(env, entry, cwd, opts.command);
  const url = await untilListening(spawned, opts.listening);
  return { ...spawned, url };
}

/**
 * Starts tongxing as a production process against its own fake WeChat, on a fresh database and
 * Redis key prefix, and registers in `cleanups` what must be undone (the process included).
 * @param entry - arguments to node (or to `opts.command`), run in `cwd`
 * @returns the process and its key prefix
 */
export async function startProductionProcess(
  cleanups: (() => Promise<unknown>)[],
  entry?: string[],
  cwd?: string,
  opts: { command?: string } = {},
): Promise<ServerProcess & { prefix: string }> {
  const fake = await new FakeWechat({ appid: APPID, secret: SECRET }).start();
  cleanups.push(() => fake.stop());
  const databaseUrl = freshDatabaseUrl();
  cleanups.push(() => dropDatabase(databaseUrl));
  const prefix = `tprod${randomBytes(3).toString("hex")}:`;
  cleanups.push(() => clearRedisPrefix(prefix));
  const server = await startProcess(productionEnv(fake.baseUrl, databaseUrl, prefix), entry, cwd, opts);
  cleanups.push(async () => server.child.kill("SIGKILL"));
  return { ...server, prefix };
}

/**
 * Starts a build of tongxing as a production process on a fresh database and checks what an
 * operator's first start shows: migrations applied, ready, a login served, exit 0 on SIGTERM.
 * @param entry - arguments to node (or to `opts.command`), run in `cwd`
 * @param cleanups - where to register what must be undone (database, Redis keys, the process)
 */
export async function checkProductionStart(
  cleanups: (() => Promise<unknown>)[],
  entry: string[],
  cwd: string,
  opts: { command?: string } = {},
): Promise<void> {
  const server = await startProductionProcess(cleanups, entry, cwd, opts);
  const { prefix } = server;
  assert.match(server.output(), /applied migrations/);
  assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  const login = await fetch(`${server.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: `first-start#${prefix}` }),
  });
  assert.equal(login.status, 200);
  server.child.kill("SIGTERM");
  assert.equal(await server.exited, 0, server.output());
}

/**
 * Runs the admin CLI (src/cli/admin.ts) as an operator would, with `env` over this process's
 * environment (a stack's `env` gives it the server's configuration).
 */
export async function runAdminCli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runNode(["--import", "tsx", "src/cli/admin.ts", ...args], { ...process.env, ...env });
}

/**
 * Runs the built admin CLI (`<outDir>/cli/admin.js`, what the `tongxing-admin` bin points at)
 * with `env` alone: no other variable of this process reaches it.
 */
export function runBuiltAdminCli(
  outDir: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runNode([path.join(outDir, "cli", "admin.js"), ...args], env);
}

async function runNode(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, argv, { env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const [code] = await once(child, "exit");
  return { code: code as number, stdout, stderr };
}
