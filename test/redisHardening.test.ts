/**
 * Redis as production runs it, against private redis-servers on free loopback ports: a password
 * (requirepass), an ACL user limited to tongxing's key prefix and commands, and TLS (rediss://
 * with the CA from REDIS_TLS_CA_FILE). On each, a real tongxing logs in, checks and logs out,
 * and its session cache (CLIENT TRACKING on a second connection) hears a logout made by another
 * instance. A wrong password or a CA that did not sign the server's certificate makes the start
 * wait and name the reason, never the password. The eviction check reads maxmemory-policy.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { BackendNotReadyError, startupWait } from "../src/clients/readiness.js";
import { connectRedis, type RedisConnectOptions } from "../src/clients/redis.js";
import { createLogger } from "../src/log.js";
import { createSessionVerifier } from "../verifier/src/sessionVerifier.js";
import { freePort } from "./failure/services.js";
import { startRedisCluster } from "./redisCluster.js";
import { type Stack, startStack } from "./support.js";
import { redisServerTool } from "./tools.js";

const exec = promisify(execFile);
const { skip } = redisServerTool;
const PASSWORD = "s3cret-redis-pass-0123";
const PREFIX = "txh:";
let dir = "";
const servers: ChildProcess[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tongxing-redis-tls-"));
  // A CA, a server certificate it signs for 127.0.0.1, and a second CA that signed nothing here.
  const ssl = (...args: string[]) => exec("openssl", args, { cwd: dir });
  await ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.pem");
  await ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=other-ca",
    "-keyout",
    "other.key",
    "-out",
    "other.pem",
  );
  await ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
  await writeFile(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await ssl("x509", ..."-req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem".split(" "));
});
after(async () => {
  for (const s of servers) s.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts a redis-server with `args` on a free port and resolves once the port accepts connections. */
async function privateRedis(args: (port: number) => string[]): Promise<number> {
  const port = await freePort();
  const proc = spawn("redis-server", ["--bind", "127.0.0.1", "--save", "", "--dir", dir, ...args(port)], { stdio: "ignore" });
  servers.push(proc);
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => resolve(true)).on("error", () => resolve(false));
      s.unref();
      setTimeout(() => s.destroy(), 100);
    });
    if (up) return port;
    if (i > 100) throw new Error("redis-server did not come up");
    await new Promise((r) => setTimeout(r, 50));
  }
}
const tlsArgs = (port: number) => [
  ...["--port", "0", "--tls-port", String(port)],
  ...["--tls-cert-file", path.join(dir, "server.pem"), "--tls-key-file", path.join(dir, "server.key")],
  ...["--tls-ca-cert-file", path.join(dir, "ca.pem"), "--tls-auth-clients", "no"],
];

/**
 * The ACL rule docs/operations.md gives, for the prefix PREFIX: the commands tongxing sends and
 * those its Lua scripts and rate-limiter-flexible's call, on its keys and the invalidation channel.
 */
const ACL_RULE = [
  "on",
  `>${PASSWORD}`,
  `~${PREFIX}*`,
  "&__redis__:invalidate",
  "-@all",
  ...["+ping", "+info", "+quit", "+client|id", "+client|setname", "+client|tracking", "+subscribe", "+evalsha", "+eval"],
  ...["+multi", "+exec", "+get", "+set", "+del", "+incrby", "+expire", "+pttl", "+pexpireat"],
  ...["+hmget", "+hgetall", "+hset", "+hsetnx", "+hdel", "+hexists", "+hincrby"],
];

/** Login, a check, a logout through another instance heard by the first one's cache, a logout. */
async function loginCheckLogout(env: Record<string, string>): Promise<Stack> {
  const stack = await startStack({ REDIS_KEY_PREFIX: PREFIX, ...env });
  try {
    const first = await stack.login("alice");
    assert.equal(first.status, 200, first.text);
    const me = await stack.request("GET", "/auth/session", { token: first.body.token });
    assert.equal(me.status, 200, me.text);
    assert.equal((await stack.request("GET", "/auth/session", { token: first.body.token })).status, 200, "served from the cache");
    assert.ok(
      stack.logs.some((l) => l.includes("session cache on: tracking user keys")),
      "the session cache tracks user keys on this Redis",
    );
    const sibling = await stack.startSibling();
    const out = await fetch(`${sibling.url}/auth/logout`, { method: "POST", headers: { "x-wx-token": first.body.token } });
    assert.equal(out.status, 204, await out.text());
    const after = await stack.request("GET", "/auth/session", { token: first.body.token });
    assert.equal(after.status, 401, "the first instance heard the logout made by the other one");
    const second = await stack.login("bob");
    const logout = await stack.request("POST", "/auth/logout", { token: second.body.token });
    assert.equal(logout.status, 204, logout.text);
    assert.equal((await stack.request("GET", "/auth/session", { token: second.body.token })).status, 401);
    assert.ok(!stack.logs.join("").includes(PASSWORD), "the password is in no log line");
    return stack;
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

test("a Redis with requirepass: login, check, logout and the session cache", { skip }, async () => {
  const port = await privateRedis((p) => ["--port", String(p), "--requirepass", PASSWORD]);
  const stack = await loginCheckLogout({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}` });
  await stack.stop();
});

test("an ACL user limited to the key prefix and tongxing's commands: login, check, logout and the session cache", { skip }, async () => {
  const port = await privateRedis((p) => ["--port", String(p), "--user", "default", "off", "--user", "tongxing", ...ACL_RULE]);
  const stack = await loginCheckLogout({ REDIS_URL: `redis://tongxing:${PASSWORD}@127.0.0.1:${port}` });
  await stack.stop();
});

test("TLS (rediss:// and REDIS_TLS_CA_FILE): login, check, logout, the session cache, and the library's verifier", { skip }, async () => {
  const port = await privateRedis(tlsArgs);
  const url = `rediss://127.0.0.1:${port}`;
  const ca = path.join(dir, "ca.pem");
  const stack = await loginCheckLogout({ REDIS_URL: url, REDIS_TLS_CA_FILE: ca });
  try {
    const login = await stack.login("carol");
    const verifier = createSessionVerifier({ redis: url, keyPrefix: PREFIX, tls: { ca: await readFile(ca) } });
    try {
      assert.equal((await verifier.verify(login.body.token))?.userId, login.body.user.id);
    } finally {
      await verifier.close();
    }
  } finally {
    await stack.stop();
  }
});

test("a Redis Cluster with requirepass: REDIS_URL's password reaches every node; login, check, logout", { skip }, async () => {
  const cluster = await startRedisCluster({ password: PASSWORD });
  try {
    // REDIS_URL's host is not used with REDIS_CLUSTER_NODES: only its user, password and scheme.
    const stack = await startStack({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_URL: `redis://:${PASSWORD}@cluster.invalid:6379` });
    try {
      const login = await stack.login("dave");
      assert.equal(login.status, 200, login.text);
      assert.equal((await stack.request("GET", "/auth/session", { token: login.body.token })).status, 200);
      assert.equal((await stack.request("POST", "/auth/logout", { token: login.body.token })).status, 204);
      assert.equal((await stack.request("GET", "/auth/session", { token: login.body.token })).status, 401);
      assert.ok(!stack.logs.join("").includes(PASSWORD), "the password is in no log line");
    } finally {
      await stack.stop();
    }
  } finally {
    await cluster.stop();
  }
});

/** connectRedis as the start runs it, with a 2-second STARTUP_TIMEOUT and its log lines kept. */
async function connectBriefly(url: string, options: RedisConnectOptions = {}) {
  const lines: string[] = [];
  const log = createLogger(
    "debug",
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  );
  try {
    const client = await connectRedis(url, log, undefined, startupWait(log, 2), options);
    client.disconnect();
    return { lines, err: undefined };
  } catch (err) {
    return { lines, err: err as Error };
  }
}

test("a wrong password: the start waits, then names the reason without the password", { skip }, async () => {
  const port = await privateRedis((p) => ["--port", String(p), "--requirepass", PASSWORD]);
  const { lines, err } = await connectBriefly(`redis://:wrong-${PASSWORD}@127.0.0.1:${port}`);
  assert.ok(err instanceof BackendNotReadyError, String(err));
  assert.match(err.message, /WRONGPASS|invalid username-password/);
  assert.ok(lines.some((l) => l.includes("waiting for Redis")));
  assert.ok(!`${err.message}${lines.join("")}`.includes(PASSWORD), "the password is neither in the error nor in the log");
});

test("a CA that did not sign the server's certificate: the start waits, then names the reason", { skip }, async () => {
  const port = await privateRedis(tlsArgs);
  const { err } = await connectBriefly(`rediss://127.0.0.1:${port}`, { tlsCa: await readFile(path.join(dir, "other.pem")) });
  assert.ok(err instanceof BackendNotReadyError, String(err));
  assert.match(err.message, /certificate/);
});

test("maxmemory-policy: noeviction passes quietly, an evicting policy warns, or refuses the start with refuse", { skip }, async () => {
  const safe = await privateRedis((p) => ["--port", String(p), "--maxmemory-policy", "noeviction"]);
  const quiet = await connectBriefly(`redis://127.0.0.1:${safe}`, { evictionCheck: "warn" });
  assert.equal(quiet.err, undefined);
  assert.ok(!quiet.lines.some((l) => l.includes("maxmemory-policy")), quiet.lines.join(""));

  const lru = await privateRedis((p) => ["--port", String(p), "--maxmemory-policy", "allkeys-lru"]);
  const warned = await connectBriefly(`redis://127.0.0.1:${lru}`, {});
  assert.equal(warned.err, undefined, "warn is the default");
  const line = warned.lines.find((l) => l.includes("maxmemory-policy"));
  assert.ok(line && JSON.parse(line).level === 40 && line.includes("allkeys-lru"), `a warning names the policy: ${line}`);

  const volatile = await privateRedis((p) => ["--port", String(p), "--maxmemory-policy", "volatile-ttl"]);
  const refused = await connectBriefly(`redis://127.0.0.1:${volatile}`, { evictionCheck: "refuse" });
  assert.match(String(refused.err?.message), /maxmemory-policy is volatile-ttl/);

  const off = await connectBriefly(`redis://127.0.0.1:${lru}`, { evictionCheck: "off" });
  assert.equal(off.err, undefined);
  assert.ok(!off.lines.some((l) => l.includes("maxmemory-policy")));
});

test("maxmemory-policy that cannot be read (CONFIG refused, as on managed Redis): logged as not checked", { skip }, async () => {
  const port = await privateRedis((p) => ["--port", String(p), "--user", "default", "off", "--user", "tongxing", ...ACL_RULE]);
  const { lines, err } = await connectBriefly(`redis://tongxing:${PASSWORD}@127.0.0.1:${port}`, { evictionCheck: "refuse" });
  assert.equal(err, undefined, "not refused for a policy it could not read");
  assert.ok(
    lines.some((l) => l.includes("could not check maxmemory-policy")),
    lines.join(""),
  );
});
