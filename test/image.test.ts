/**
 * The image, built and run for real: the Dockerfile as it is, built with podman (`--format
 * docker` keeps its HEALTHCHECK) on a local stand-in for the base image (scripts/base-image.sh,
 * cached outside the repository: no image registry is reachable here), then run read-only,
 * without capabilities, against the machine's Redis and PostgreSQL on a fresh database and key
 * prefix. The build gets the machine's CA bundle as the `ca` secret (npm's registry may sit behind
 * a TLS-inspecting proxy), and no layer or history entry of the image may hold it.
 * podman runs with runc (crun refuses a hybrid cgroup hierarchy), no default rlimits (refused
 * in some VMs) and its own vfs storage; healthchecks are run by hand (no systemd timers).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { rootCertificates } from "node:tls";
import { promisify } from "node:util";
import { dropDatabase } from "../src/db/database.js";
import { FakeWechat } from "../src/wechat/fakeServer.js";
import { productionEnv } from "./process.js";
import { APPID, clearRedisPrefix, freshDatabaseUrl, SECRET } from "./support.js";
import { findTool } from "./tools.js";

const run = promisify(execFile);
const tools = [
  findTool("podman", "apt-get install -y podman"),
  findTool("debootstrap", "apt-get install -y debootstrap", ["/usr/sbin/debootstrap"]),
  findTool("runc", "apt-get install -y runc", ["/usr/sbin/runc"]),
];
const notRoot = process.getuid?.() !== 0 ? "the image test needs root (debootstrap, podman's storage)" : undefined;
const skip = tools.find((t) => t.skip)?.skip || (notRoot && process.env.CI !== "true" ? notRoot : false);

/** What the runtime stage must not carry: build and type-checking tools the service never loads. */
const FORBIDDEN = ["typescript", "react", "react-dom", "@types", "prisma", "effect", "@electric-sql", "@prisma/dev"];
/** The runtime stage's node_modules at most (MB), as the README states. */
const MAX_NODE_MODULES_MB = 100;
const SHUTDOWN_DELAY = 5;

const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "tongxing");
const tag = `localhost/tongxing-test:${randomBytes(4).toString("hex")}`;
const name = `tongxing-test-${randomBytes(4).toString("hex")}`;
const caFile = process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
const env: NodeJS.ProcessEnv = { ...process.env };
const cleanups: (() => Promise<unknown>)[] = [];
let dir = "";
let url = "";
let fake: FakeWechat;
/** The stand-in base image, as scripts/base-image.sh names it (the Dockerfile's FROM). */
let base = "";
const timings: Record<string, number> = {};

function podman(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run("podman", args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings[label] = Math.round((performance.now() - started) / 1000);
  return result;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

/**
 * A base64 line of a certificate in the CA bundle that Node's own root store lacks (the proxy's
 * CA, on a machine behind one), so finding it in a layer can only mean the secret leaked.
 */
function caMarker(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  assert.ok(blocks.length, `${caFile} holds PEM certificates`);
  const nodeRoots = new Set(rootCertificates.map((c) => c.replace(/\s/g, "")));
  const block = blocks.findLast((b) => !nodeRoots.has(b.replace(/\s/g, ""))) ?? (blocks.at(-1) as string);
  const lines = block.split("\n").filter((l) => /^[A-Za-z0-9+/]{64}$/.test(l));
  return lines[Math.floor(lines.length / 2)] as string;
}

async function readyWithin(ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const { stdout, stderr } = await podman("logs", name).catch((e) => e);
  assert.fail(`/readyz not 200 within ${ms / 1000} s:\n${stdout}${stderr}`);
}

describe("the image, built with podman and run against real Redis and PostgreSQL", { skip }, () => {
  before(
    async () => {
      for (const t of tools) assert.ok(t.path, t.missing);
      assert.ok(!notRoot, notRoot);
      dir = await mkdtemp(path.join(tmpdir(), "tongxing-image-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      // Our own storage (kept in the cache with the base image) and engine settings, so the
      // machine's podman configuration is neither needed nor touched.
      await mkdir(path.join(cache, "containers"), { recursive: true });
      await writeFile(path.join(dir, "containers.conf"), '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n');
      await writeFile(
        path.join(dir, "storage.conf"),
        `[storage]\ndriver = "vfs"\ngraphroot = "${path.join(cache, "containers")}"\nrunroot = "${path.join(cache, "containers-run")}"\n`,
      );
      env.CONTAINERS_CONF = path.join(dir, "containers.conf");
      env.CONTAINERS_STORAGE_CONF = path.join(dir, "storage.conf");

      const made = await timed("base image (s)", () => run("bash", ["scripts/base-image.sh"], { env, timeout: 15 * 60_000 }));
      base = made.stdout.trim();
      cleanups.push(() => podman("rmi", "--force", tag));
      // --layers=false: a build from scratch every run that leaves no intermediate images behind;
      // the host network, since a bridge needs more of the kernel than every VM allows.
      await timed("image build (s)", () =>
        podman(
          "build",
          "--format",
          "docker",
          "--pull=never",
          "--layers=false",
          "--network",
          "host",
          "--secret",
          `id=ca,src=${caFile}`,
          "-t",
          tag,
          ".",
        ),
      );

      fake = await new FakeWechat({ appid: APPID, secret: SECRET, loginDelayMs: 1500 }).start();
      cleanups.push(() => fake.stop());
      const databaseUrl = freshDatabaseUrl();
      cleanups.push(() => dropDatabase(databaseUrl));
      const prefix = `timg${randomBytes(3).toString("hex")}:`;
      cleanups.push(() => clearRedisPrefix(prefix));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const settings = productionEnv(fake.baseUrl, databaseUrl, prefix, {
        HOST: "127.0.0.1",
        PORT: String(port),
        SHUTDOWN_DELAY: String(SHUTDOWN_DELAY),
      });
      // In a file, not on the command line: the settings hold secrets (SESSION_KEY_ENCRYPTION_KEY).
      const envFile = path.join(dir, "env");
      await writeFile(
        envFile,
        Object.entries(settings)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(""),
        { mode: 0o600 },
      );
      cleanups.push(() => podman("rm", "--force", name));
      // The host network reaches the machine's Redis, PostgreSQL and fake WeChat on loopback;
      // --read-only-tmpfs=false, or podman would also make /run and /var/tmp writable.
      await timed("start to ready (s)", async () => {
        await podman(
          "run",
          "--detach",
          "--name",
          name,
          "--network",
          "host",
          "--env-file",
          envFile,
          "--read-only",
          "--read-only-tmpfs=false",
          "--tmpfs",
          "/tmp",
          "--cap-drop",
          "ALL",
          "--health-interval",
          "disable",
          tag,
        );
        await readyWithin(60_000);
      });
    },
    { timeout: 25 * 60_000 },
  );

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    console.log(`image test timings: ${JSON.stringify(timings)}`);
  });

  test("migrates a fresh database, logs a user in with an emoji nickname, and its own HEALTHCHECK says healthy", async () => {
    const { stdout: logs } = await podman("logs", name);
    assert.match(logs, /applied migrations/);
    const login = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "image#1" }),
    });
    assert.equal(login.status, 200, await login.clone().text());
    const { token } = (await login.json()) as { token: string };
    // 4-byte UTF-8 through the image's PostgreSQL connection and back.
    const headers = { "content-type": "application/json", "x-wx-token": token };
    const patched = await fetch(`${url}/me`, { method: "PATCH", headers, body: JSON.stringify({ nickname: "小程序 🐉" }) });
    assert.equal(patched.status, 200, await patched.clone().text());
    const me = (await (await fetch(`${url}/me`, { headers })).json()) as { nickname: string };
    assert.equal(me.nickname, "小程序 🐉");
    await podman("healthcheck", "run", name);
    const { stdout: health } = await podman("inspect", "--format", "{{.State.Health.Status}}", name);
    assert.equal(health.trim(), "healthy");
  });

  test("runs as a non-root user, with no capabilities and only /tmp writable", async () => {
    assert.notEqual((await podman("exec", name, "id", "-u")).stdout.trim(), "0");
    const status = (await podman("exec", name, "cat", "/proc/1/status")).stdout;
    assert.match(status, /^CapEff:\s+0+$/m, "no effective capabilities");
    assert.match(status, /^CapBnd:\s+0+$/m, "none to gain either");
    await podman("exec", name, "touch", "/tmp/writable");
    for (const where of ["/app/x", "/home/node/x", "/run/x", "/var/tmp/x"]) {
      await assert.rejects(podman("exec", name, "touch", where), `${where} is read-only`);
    }
  });

  test(`runtime node_modules at most ${MAX_NODE_MODULES_MB} MB, without build and type-checking tools`, async () => {
    const { stdout: du } = await podman("exec", name, "du", "-sm", "/app/node_modules");
    const mb = Number(du.split(/\s/)[0]);
    timings["node_modules (MB)"] = mb;
    timings["image (MB)"] = Math.round(Number((await podman("image", "inspect", "--format", "{{.Size}}", tag)).stdout) / 1e6);
    const { stdout: found } = await podman(
      "exec",
      name,
      "node",
      "-e",
      "const fs = require('node:fs'); console.log(JSON.stringify(process.argv.slice(1).filter((p) => fs.existsSync('/app/node_modules/' + p))))",
      ...FORBIDDEN,
    );
    assert.deepEqual(JSON.parse(found), [], "dev-only packages in the runtime image");
    assert.ok(mb <= MAX_NODE_MODULES_MB, `node_modules is ${mb} MB`);
  });

  test("the CA bundle given as a build secret is in no layer and no history entry", { timeout: 10 * 60_000 }, async () => {
    const marker = caMarker(await readFile(caFile, "utf8"));
    const { stdout: history } = await podman("history", "--no-trunc", "--format", "{{.CreatedBy}}", tag);
    assert.ok(!history.includes(marker) && !history.includes("BEGIN CERTIFICATE"), "history holds no certificate");
    const { stdout: settings } = await podman("image", "inspect", "--format", "{{json .Config.Env}}", tag);
    assert.doesNotMatch(settings, /NODE_EXTRA_CA_CERTS|NPM_CONFIG_USERCONFIG/, "the secrets' settings end with their step");
    // Every layer the Dockerfile added (the base's own layers carry Node's built-in roots).
    const archive = path.join(dir, "image");
    await mkdir(archive);
    await podman("save", "--format", "docker-dir", "-o", archive, tag);
    const { stdout: baseLayers } = await podman("image", "inspect", "--format", "{{len .RootFS.Layers}}", base);
    const manifest = JSON.parse(await readFile(path.join(archive, "manifest.json"), "utf8")) as { layers: { digest: string }[] };
    const added = manifest.layers.slice(Number(baseLayers));
    assert.ok(added.length >= 1, "the Dockerfile's layers");
    let searched = 0;
    for (const layer of added) {
      const blob = await readFile(path.join(archive, layer.digest.replace(/^sha256:/, "")));
      assert.equal(blob.indexOf(marker), -1, `layer ${layer.digest} holds the CA bundle`);
      if (blob.includes('"name": "tongxing"')) searched++;
    }
    // The search can see plain text: the app's package.json is found in those same layers.
    assert.ok(searched > 0, "layers searched as uncompressed tar");
  });

  test(`stop: a request in flight is answered, exit 0 within SHUTDOWN_DELAY (${SHUTDOWN_DELAY} s) plus a margin`, async () => {
    const calls = fake.callCount("/sns/jscode2session");
    const inFlight = fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "image#2" }),
    });
    while (fake.callCount("/sns/jscode2session") === calls) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    await podman("stop", "--time", "30", name);
    const seconds = (performance.now() - started) / 1000;
    assert.equal((await inFlight).status, 200, "the login in flight at stop is answered");
    const { stdout: code } = await podman("inspect", "--format", "{{.State.ExitCode}}", name);
    assert.equal(code.trim(), "0", (await podman("logs", name)).stderr);
    assert.ok(seconds < SHUTDOWN_DELAY + 10, `stopped in ${seconds.toFixed(1)} s`);
  });
});
