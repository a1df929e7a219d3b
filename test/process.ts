/** Runs tongxing as a real process (src/main.ts through tsx) and waits for it to listen. */
import { type ChildProcess, spawn } from "node:child_process";

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export async function startProcess(
  env: Record<string, string>,
  entry = ["--import", "tsx", "src/main.ts"],
  cwd?: string,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, entry, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], cwd });
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
      const m = /"url":"([^"]+)".*tongxing listening/.exec(out);
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
