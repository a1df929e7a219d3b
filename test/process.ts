/** Runs tongxing as a real process (src/main.ts through tsx) and waits for it to listen. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { APPID, SECRET } from "./support.js";

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
    ...extra,
  };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
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
  const listening = opts.listening ?? /"url":"([^"]+)".*tongxing listening/;
  const child = spawn(opts.command ?? process.execPath, entry, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], cwd });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening after 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = listening.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on("data", check);
    exited.then(() => reject(new Error(`exited before listening:\n${out}`)));
  });
  return { child, url, output: () => out, exited };
}
