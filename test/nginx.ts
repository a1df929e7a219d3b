/**
 * A real nginx on loopback serving examples/nginx/tongxing.conf.template, rendered as the
 * official nginx image renders /etc/nginx/templates/*.template: envsubst of the variables set
 * in its environment only, so nginx's own $variables survive.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const TEMPLATE = "examples/nginx/tongxing.conf.template";

/** The template's variables, exactly those the README and the issue name. */
export interface GatewayVars {
  LISTEN_PORT: string;
  TONGXING_ADDR: string;
  APP_ADDR: string;
  SERVICE_TOKEN: string;
}

/** envsubst restricted to `vars`: `${NAME}` and `$NAME` of those names, nothing else. */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    return name in vars ? (vars[name] as string) : whole;
  });
}

/** A free loopback TCP port (closed again; nginx binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Nginx {
  url: string;
  child: ChildProcess;
  /** nginx's error log so far (for failure messages). */
  errors(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground (one process, no daemon) with the rendered template included in
 * its `http {}` block, as conf.d/*.conf is in the official image.
 * @param vars - LISTEN_PORT is chosen here when empty
 */
export async function startNginx(binary: string, vars: Omit<GatewayVars, "LISTEN_PORT">): Promise<Nginx> {
  const port = await freePort();
  const dir = await writeConfig(vars, port);
  const child = spawn(binary, ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const errors = async () => `${out}${await readFile(path.join(dir, "error.log"), "utf8").catch(() => "")}`;
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start:\n${await errors()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    errors,
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A directory holding nginx.conf, which includes the rendered template listening on `port`. */
async function writeConfig(vars: Omit<GatewayVars, "LISTEN_PORT">, port: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tongxing-nginx-"));
  const rendered = renderTemplate(await readFile(TEMPLATE, "utf8"), { ...vars, LISTEN_PORT: `127.0.0.1:${port}` });
  await writeFile(path.join(dir, "tongxing.conf"), rendered);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${path.join(dir, t)};`).join("\n");
  await writeFile(
    path.join(dir, "nginx.conf"),
    `daemon off;\nmaster_process off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log info;\nevents { worker_connections 256; }\n` +
      `http {\n  access_log off;\n${temp}\n  include ${dir}/tongxing.conf;\n}\n`,
  );
  return dir;
}

/**
 * `nginx -t` on the template rendered with `vars`, as the official image would load it.
 * @returns null when nginx accepts the configuration, else its complaint
 */
export async function checkConfig(binary: string, vars: Omit<GatewayVars, "LISTEN_PORT">): Promise<string | null> {
  const dir = await writeConfig(vars, await freePort());
  try {
    const conf = path.join(dir, "nginx.conf");
    const run = spawnSync(binary, ["-t", "-q", "-p", dir, "-c", conf, "-e", path.join(dir, "error.log")], { encoding: "utf8" });
    return run.status === 0 ? null : `${run.stdout}${run.stderr}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
