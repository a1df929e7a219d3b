/**
 * The `tongxing` package as a user gets it: `npm pack` of this repository, installed into a fresh
 * project with `npm install ./tongxing-x.y.z.tgz koa ioredis`, beside the verifier package
 * (`npm pack ./verifier`, @tongxing/verifier). The example business API runs on the verifier
 * against real Redis; the library's types check from both packages' roots (the service's
 * re-export is deprecated, kept for one release); and the service starts from the installed
 * package (`tongxing` bin) with no build step and no dev dependencies.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { checkProductionStart, type ServerProcess, startProcess } from "./process.js";
import { REDIS_URL, type Stack, startStack } from "./support.js";

const exec = promisify(execFile);
const cleanups: (() => Promise<unknown>)[] = [];
let dir: string;
let stack: Stack;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tongxing-consumer-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // npm pack runs prepack (the build), as it does in a fresh clone after npm ci.
  await exec("npm", ["pack", "--pack-destination", dir], { timeout: 240_000 });
  await exec("npm", ["pack", "./verifier", "--pack-destination", dir], { timeout: 240_000 });
  const tarball = (await readdir(dir)).find((f) => /^tongxing-\d+\.\d+\.\d+\.tgz$/.test(f));
  assert.ok(tarball, "npm pack made tongxing-x.y.z.tgz");
  const verifierTarball = (await readdir(dir)).find((f) => /^tongxing-verifier-\d+\.\d+\.\d+\.tgz$/.test(f));
  assert.ok(verifierTarball, "npm pack ./verifier made tongxing-verifier-x.y.z.tgz");
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await exec(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      `./${tarball}`,
      `./${verifierTarball}`,
      "koa@3",
      "ioredis@5",
      "@types/koa@3",
      "@types/node@20",
    ],
    { cwd: dir, timeout: 240_000 },
  );
  stack = await startStack();
  cleanups.push(() => stack.stop());
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Runs examples/business-api/server.js from the consumer project. */
async function startExample(env: Record<string, string>): Promise<ServerProcess> {
  await copyFile("examples/business-api/server.js", path.join(dir, "server.js"));
  const child = await startProcess({ PORT: "0", REDIS_URL, REDIS_KEY_PREFIX: stack.prefix, ...env }, ["server.js"], dir, {
    listening: /business API listening","url":"([^"]+)"/,
  });
  cleanups.push(async () => child.child.kill("SIGKILL"));
  return child;
}

test("the packed package holds the build, the types, the Prisma client and the migrations, not the tests", async () => {
  const pkg = JSON.parse(await readFile(path.join(dir, "node_modules/tongxing/package.json"), "utf8"));
  assert.equal(pkg.private, undefined);
  assert.equal(pkg.license, "MIT");
  assert.equal(pkg.bin.tongxing, "dist/main.js");
  const files = await readdir(path.join(dir, "node_modules/tongxing"), { recursive: true });
  for (const f of ["dist/index.js", "dist/index.d.ts", "dist/main.js", "dist/generated/prisma/client.js", "LICENSE"]) {
    assert.ok(files.includes(f), f);
  }
  assert.ok(files.some((f) => f.startsWith("prisma/migrations/") && f.endsWith("migration.sql")));
  assert.equal(files.filter((f) => /\.test\.|^src\/|^test\//.test(f)).length, 0, "no tests or sources");
});

test("the example business API on the installed package: login in tongxing → 200, logout → 401 TOKEN_INVALID next", async () => {
  const app = await startExample({});
  const login = await stack.login("pkg-user");
  const { token, user } = login.body as { token: string; user: { id: number } };
  const created = await fetch(`${app.url}/orders?item=oolong`, { method: "POST", headers: { "X-WX-Token": token } });
  assert.equal(created.status, 201);
  const list = await fetch(`${app.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(list.status, 200);
  const body = (await list.json()) as { userId: number; orders: { item: string }[] };
  assert.equal(body.userId, user.id);
  assert.deepEqual(
    body.orders.map((o) => o.item),
    ["oolong"],
  );
  assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
  const after = await fetch(`${app.url}/orders`, { headers: { "X-WX-Token": token } });
  assert.equal(after.status, 401);
  assert.equal(((await after.json()) as { error: { code: string } }).error.code, "TOKEN_INVALID");
});

test("the example business API behind a gateway trusts only the gateway's X-Tongxing-User-Id", async () => {
  const app = await startExample({ TRUST_GATEWAY: "1" });
  const res = await fetch(`${app.url}/orders`, { headers: { "X-Tongxing-User-Id": "42", "X-Tongxing-Session-Id": "42.x" } });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { userId: number }).userId, 42);
  assert.equal((await fetch(`${app.url}/orders`)).status, 401);
});

test("the library's types check from each package's root in a TypeScript project", async () => {
  for (const from of ["@tongxing/verifier", "tongxing"]) await typesCheck(from);
});

/** The library used from `from` type-checks, and a wrong use of it does not. */
async function typesCheck(from: string): Promise<void> {
  const source = `import Koa from "koa";
import { createSessionVerifier, requireSession, type SessionState, type VerifiedSession } from "${from}";
const verifier = createSessionVerifier({ redis: "redis://127.0.0.1:6379", keyPrefix: "tx:", idleTtl: 604800 });
const app = new Koa<SessionState>();
app.use(requireSession(verifier, { tokenHeader: "X-WX-Token" }));
app.use((ctx) => {
  const s: VerifiedSession = ctx.state.session;
  const id: number = s.userId;
  const expires: Date = s.expiresAt;
  ctx.body = { id, expires, unionid: s.unionid satisfies string | null };
});
export const check = async (t: string): Promise<number | undefined> => (await verifier.verify(t))?.userId;
`;
  await writeFile(path.join(dir, "check.ts"), source);
  const tsc = path.resolve("node_modules/typescript/bin/tsc");
  const args = [
    "--noEmit",
    "--strict",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2022",
    "--skipLibCheck",
    "check.ts",
  ];
  await exec(process.execPath, [tsc, ...args], { cwd: dir }).catch((err: { stdout: string }) => assert.fail(`tsc: ${err.stdout}`));
  // And a wrong use is caught: the types are real, not any.
  await writeFile(
    path.join(dir, "wrong.ts"),
    `import { createSessionVerifier } from "${from}";\ncreateSessionVerifier({ redis: 6379 });\n`,
  );
  await assert.rejects(exec(process.execPath, [tsc, ...args.slice(0, -1), "wrong.ts"], { cwd: dir }));
}

test("the service starts from the installed package (the tongxing bin): migrations, /readyz, a login", { timeout: 120_000 }, async () => {
  await checkProductionStart(cleanups, [], dir, { command: path.join(dir, "node_modules/.bin/tongxing") });
});
