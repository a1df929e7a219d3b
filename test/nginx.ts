/**
 * A real nginx on loopback serving examples/nginx/tongxing.conf.template, rendered as the
 * official nginx image renders /etc/nginx/templates/*.template: envsubst of the variables set
 * in its environment only, so nginx's own $variables survive. It serves HTTPS with a certificate
 * made by scripts/self-signed-cert.sh, as compose.yaml's gateway does.
 */
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnProcess } from "./process.js";

export const TEMPLATE = "examples/nginx/tongxing.conf.template";

/** The template's variables, exactly those the README and docs/backends.md name. */
export interface GatewayVars {
  /** the HTTPS listener: the API */
  LISTEN_PORT: string;
  /** the plain-HTTP listener: a redirect to HTTPS only */
  HTTP_PORT: string;
  TLS_CERT: string;
  TLS_KEY: string;
  /** the DNS server nginx re-resolves the upstream names with */
  RESOLVER: string;
  TONGXING_ADDR: string;
  APP_ADDR: string;
  SERVICE_TOKEN: string;
}

/** What a test chooses; ports, the certificate and the resolver are the harness's. */
export type UpstreamVars = Pick<GatewayVars, "TONGXING_ADDR" | "APP_ADDR" | "SERVICE_TOKEN">;

/** The certificate every test nginx serves (made once per process by the repository's script). */
export const tls = (() => {
  const dir = mkdtempSync(path.join(tmpdir(), "tongxing-tls-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  execFileSync("bash", ["scripts/self-signed-cert.sh", dir, "localhost"], { stdio: "ignore" });
  const cert = path.join(dir, "tls.crt");
  return { cert, key: path.join(dir, "tls.key"), ca: readFileSync(cert, "utf8") };
})();

/** What the business API saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A business API that records what reaches it, and over how many connections, and answers it back as JSON. */
export class BusinessApi {
  readonly seen: Seen[] = [];
  /** TCP connections accepted so far (nginx's keepalive shows here). */
  connections = 0;
  private server: Server | undefined;
  addr = "";

  async start(): Promise<this> {
    const server = createHttpServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() };
      this.seen.push(seen);
      if (req.url === "/boom") {
        res.writeHead(500, { "content-type": "text/plain" }).end("the business API's own failure");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
    });
    server.on("connection", () => this.connections++);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
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
  /** https://127.0.0.1:port, the API (trust `tls.ca` to call it) */
  url: string;
  /** http://127.0.0.1:port, the redirect to HTTPS */
  httpUrl: string;
  child: ChildProcess;
  /** nginx's error log so far (for failure messages). */
  errors(): Promise<string>;
  stop(): Promise<void>;
}

/** How the bench runs the template: the tests take the defaults. */
export interface NginxOptions {
  /** Rewrites the rendered template before nginx loads it (the bench adds an unchecked location). */
  transform?: (rendered: string) => string;
  /** `worker_connections` of the one worker. Default 1024, the official image's nginx.conf's. */
  workerConnections?: number;
}

/**
 * Starts nginx in the foreground (one process, no daemon) with the rendered template included in
 * its `http {}` block, as conf.d/*.conf is in the official image.
 * @param vars - LISTEN_PORT is chosen here when empty
 */
export async function startNginx(binary: string, vars: UpstreamVars, options: NginxOptions = {}): Promise<Nginx> {
  const port = await freePort();
  const httpPort = await freePort();
  const dir = await writeConfig(binary, vars, port, httpPort, options);
  const { child, output, exited } = spawnProcess(
    {},
    ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")],
    undefined,
    binary,
  );
  const errors = async () => `${output()}${await readFile(path.join(dir, "error.log"), "utf8").catch(() => "")}`;
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port)) || !(await accepts(httpPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      // A half-started nginx would keep the test process alive.
      child.kill("SIGKILL");
      throw new Error(`nginx did not start:\n${await errors()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
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

/**
 * A directory holding nginx.conf, which includes the rendered template serving HTTPS on `port`
 * and its redirect on `httpPort`.
 */
async function writeConfig(
  binary: string,
  vars: UpstreamVars,
  port: number,
  httpPort: number,
  options: NginxOptions = {},
): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tongxing-nginx-"));
  let rendered = renderTemplate(await readFile(TEMPLATE, "utf8"), {
    ...vars,
    LISTEN_PORT: `127.0.0.1:${port}`,
    HTTP_PORT: `127.0.0.1:${httpPort}`,
    TLS_CERT: tls.cert,
    TLS_KEY: tls.key,
    // Nothing here is a name to resolve: the upstreams are loopback addresses.
    RESOLVER: "127.0.0.1",
  });
  // An upstream server's `resolve` parameter came to open-source nginx in 1.27.3 (compose.yaml
  // pins 1.28); Debian's nginx-light is older, so it runs the template without it.
  if (!supportsResolve(binary)) rendered = rendered.replace(/^(\s*server\s+\S+)\s+resolve;/gm, "$1;");
  await writeFile(path.join(dir, "tongxing.conf"), options.transform ? options.transform(rendered) : rendered);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${path.join(dir, t)};`).join("\n");
  await writeFile(
    path.join(dir, "nginx.conf"),
    `daemon off;\nmaster_process off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log info;\nevents { worker_connections ${options.workerConnections ?? 1024}; }\n` +
      `http {\n  access_log off;\n${temp}\n  include ${dir}/tongxing.conf;\n}\n`,
  );
  return dir;
}

/**
 * `nginx -t` on the template rendered with `vars`, as the official image would load it.
 * @returns null when nginx accepts the configuration, else its complaint
 */
export async function checkConfig(binary: string, vars: UpstreamVars): Promise<string | null> {
  const dir = await writeConfig(binary, vars, await freePort(), await freePort());
  try {
    const conf = path.join(dir, "nginx.conf");
    const run = spawnSync(binary, ["-t", "-q", "-p", dir, "-c", conf, "-e", path.join(dir, "error.log")], { encoding: "utf8" });
    return run.status === 0 ? null : `${run.stdout}${run.stderr}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether this nginx takes `server host:port resolve;` in an upstream block (1.27.3 and later). */
export function supportsResolve(binary: string): boolean {
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(spawnSync(binary, ["-v"], { encoding: "utf8" }).stderr);
  const [major, minor, patch] = (version?.slice(1) ?? ["0", "0", "0"]).map(Number) as [number, number, number];
  return major > 1 || (major === 1 && (minor > 27 || (minor === 27 && patch >= 3)));
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
