/**
 * The `@tongxing/verifier` package as a business API gets it: `npm pack ./verifier`, installed
 * alone into an empty project. It must stay small (ioredis and lru-cache, none of the service's
 * Prisma, pg or pino), and its session check must agree with a real tongxing's.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { REDIS_URL, type Stack, startStack } from "./support.js";

const exec = promisify(execFile);
const cleanups: (() => Promise<unknown>)[] = [];
let dir: string;
let stack: Stack;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tongxing-verifier-consumer-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // npm pack runs the package's prepack (its tsc build), as in a fresh clone after npm ci.
  await exec("npm", ["pack", "./verifier", "--pack-destination", dir], { timeout: 240_000 });
  const tarball = (await readdir(dir)).find((f) => /^tongxing-verifier-\d+\.\d+\.\d+\.tgz$/.test(f));
  assert.ok(tarball, "npm pack made tongxing-verifier-x.y.z.tgz");
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await exec("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", `./${tarball}`], { cwd: dir, timeout: 240_000 });
  stack = await startStack();
  cleanups.push(() => stack.stop());
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Bytes of the files under `root`. */
async function sizeOf(root: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Runs `source` as an ES module in the consumer project and returns what it printed, parsed. */
async function runInConsumer(name: string, source: string, env: Record<string, string> = {}): Promise<any> {
  await writeFile(path.join(dir, name), source);
  const { stdout } = await exec(process.execPath, [name], { cwd: dir, timeout: 30_000, env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

test("installed alone, the package stays under 20 MB with neither Prisma, pg nor pino", async () => {
  const modules = path.join(dir, "node_modules");
  const installed = await readdir(modules);
  for (const heavy of ["@prisma", "prisma", "pg", "pino", "koa", "koa-body", "tongxing"]) {
    assert.ok(!installed.includes(heavy), `${heavy} is not installed`);
  }
  assert.ok(installed.includes("ioredis"));
  const bytes = await sizeOf(modules);
  assert.ok(bytes < 20 * 1024 * 1024, `node_modules is ${(bytes / 1024 / 1024).toFixed(1)} MB`);
  const files = await readdir(path.join(modules, "@tongxing/verifier"), { recursive: true });
  for (const f of ["dist/index.js", "dist/index.d.ts", "dist/lua/renew.lua", "README.md", "LICENSE"]) assert.ok(files.includes(f), f);
  assert.equal(files.filter((f) => /\.test\.|^src\//.test(f)).length, 0, "no tests or sources");
});

test("the installed package's verifier agrees with tongxing: a live session, then null after logout", async () => {
  const login = await stack.login("verifier-pkg-user");
  const { token, user } = login.body as { token: string; user: { id: number } };
  const check = `
    import { createSessionVerifier } from "@tongxing/verifier";
    const verifier = createSessionVerifier({ redis: process.env.REDIS_URL, keyPrefix: process.env.PREFIX });
    const session = await verifier.verify(process.env.TOKEN);
    await verifier.close();
    console.log(JSON.stringify(session));
  `;
  const env = { REDIS_URL, PREFIX: stack.prefix, TOKEN: token };
  const live = await runInConsumer("check.mjs", check, env);
  assert.equal(live.userId, user.id);
  assert.match(live.sessionId, new RegExp(`^${user.id}\\.`));
  assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
  assert.equal(await runInConsumer("check.mjs", check, env), null);
});

test("requireSession from the installed package refuses with tongxing's own bodies", async () => {
  // Koa is the package's optional peer: a Koa app installs it.
  await exec("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "koa@3"], { cwd: dir, timeout: 240_000 });
  const bodies = await runInConsumer(
    "koaApp.mjs",
    `
    import Koa from "koa";
    import { createSessionVerifier, requireSession } from "@tongxing/verifier";
    const verifier = createSessionVerifier({ redis: process.env.REDIS_URL, keyPrefix: process.env.PREFIX });
    const app = new Koa().use(requireSession(verifier)).use((ctx) => { ctx.body = ctx.state.session; });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const url = "http://127.0.0.1:" + server.address().port + "/";
    const missing = await fetch(url);
    const invalid = await fetch(url, { headers: { "X-WX-Token": "1.${"a".repeat(32)}" } });
    console.log(JSON.stringify({ missing: [missing.status, await missing.json()], invalid: [invalid.status, await invalid.json()] }));
    server.close();
    await verifier.close();
  `,
    { REDIS_URL, PREFIX: stack.prefix },
  );
  const missing = await stack.request("GET", "/auth/session");
  const invalid = await stack.request("GET", "/auth/session", { token: `1.${"a".repeat(32)}` });
  assert.deepEqual(bodies.missing, [missing.status, missing.body]);
  assert.deepEqual(bodies.invalid, [invalid.status, invalid.body]);
});
