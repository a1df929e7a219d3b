/**
 * examples/nginx/tongxing.conf.template as a gateway many users go through: each client keeps
 * its own address (rate limit, audit trail) behind the gateway, and nginx keeps its connections
 * to tongxing and the business API open instead of opening one per request.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { Agent, setGlobalDispatcher } from "undici";
import { BusinessApi, type Nginx, startNginx, TEMPLATE, tls } from "./nginx.js";
import { codeFor, type Stack, startStack } from "./support.js";
import { findTool } from "./tools.js";

const nginxBinary = findTool("nginx", "apt-get install -y nginx-light", ["/usr/sbin/nginx"]);
const SERVICE_TOKEN = `svc-${"s".repeat(40)}`;
const LOGIN_RATE_LIMIT = 10;

/** A TCP relay in front of tongxing that counts the connections nginx opens to it. */
class CountingRelay {
  connections = 0;
  port = 0;
  private server: Server | undefined;
  constructor(private readonly target: URL) {}

  async start(): Promise<this> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = connect(Number(this.target.port), this.target.hostname);
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) {
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

let stack: Stack;
let relay: CountingRelay;
let app: BusinessApi;
let gateway: Nginx;

before(async () => {
  if (!nginxBinary.path) return;
  setGlobalDispatcher(new Agent({ connect: { ca: tls.ca } }));
  // As compose.yaml does: tongxing believes X-Forwarded-For from the gateway's own address only
  // (the test nginx reaches tongxing from 127.0.0.1; its clients come from 127.0.0.2 and up).
  stack = await startStack({ SERVICE_TOKEN, TRUSTED_PROXIES: "127.0.0.1", LOGIN_RATE_LIMIT: String(LOGIN_RATE_LIMIT) });
  relay = await new CountingRelay(new URL(stack.url)).start();
  app = await new BusinessApi().start();
  gateway = await startNginx(nginxBinary.path, { TONGXING_ADDR: `127.0.0.1:${relay.port}`, APP_ADDR: app.addr, SERVICE_TOKEN });
});
after(async () => {
  await gateway?.stop();
  await app?.stop();
  await relay?.stop();
  await stack?.stop();
});

/** A login through the gateway from the client address `from` (a loopback address of its own). */
async function loginFrom(from: string, user: string, headers: Record<string, string> = {}) {
  // undici takes localAddress as the Agent's option (its connect options' copy is overwritten).
  const dispatcher = new Agent({ localAddress: from, connect: { ca: tls.ca } });
  try {
    const res = await fetch(`${gateway.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ code: codeFor(user) }),
      dispatcher,
    } as RequestInit);
    return { status: res.status, body: (await res.json()) as any };
  } finally {
    await dispatcher.close();
  }
}

/** The IP tongxing recorded for the session of `token` (the audit trail's login event has the same). */
async function recordedIp(token: string): Promise<string> {
  const res = await fetch(`${gateway.url}/auth/sessions`, { headers: { "X-WX-Token": token } });
  const { sessions } = (await res.json()) as { sessions: { ip: string; current: boolean }[] };
  return sessions.find((s) => s.current)?.ip ?? "";
}

describe("nginx gateway, many users", { skip: nginxBinary.skip }, () => {
  test("40 logins from 40 client addresses through the gateway: not one 429, each recorded with its own address", async () => {
    assert.ok(40 > LOGIN_RATE_LIMIT, "more logins than one address may make in a minute");
    const statuses: number[] = [];
    for (let i = 2; i <= 41; i++) {
      const res = await loginFrom(`127.0.0.${i}`, `gw-many-${i}`);
      statuses.push(res.status);
      if (res.status === 200 && (i === 2 || i === 41)) assert.equal(await recordedIp(res.body.token), `127.0.0.${i}`);
    }
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
    );
  });

  test("one client address is still limited through the gateway", async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LOGIN_RATE_LIMIT; i++) statuses.push((await loginFrom("127.0.0.42", `gw-one-${i}`)).status);
    assert.deepEqual(statuses.slice(0, LOGIN_RATE_LIMIT), Array(LOGIN_RATE_LIMIT).fill(200));
    assert.equal(statuses[LOGIN_RATE_LIMIT], 429);
  });

  test("a client's own X-Forwarded-For chooses neither its bucket nor its audited address", async () => {
    const res = await loginFrom("127.0.0.43", "gw-forger", { "X-Forwarded-For": "203.0.113.9" });
    assert.equal(res.status, 200);
    assert.equal(await recordedIp(res.body.token), "127.0.0.43");
  });

  test("nginx reuses its connections to tongxing and the business API (HTTP/1.1 keepalive)", async () => {
    const res = await loginFrom("127.0.0.44", "gw-keepalive");
    const token = res.body.token as string;
    const [toTongxing, toApp] = [relay.connections, app.connections];
    for (let i = 0; i < 20; i++) {
      const orders = await fetch(`${gateway.url}/orders`, { headers: { "X-WX-Token": token } });
      assert.equal(orders.status, 200);
      await orders.arrayBuffer();
      assert.equal((await fetch(`${gateway.url}/auth/session`, { headers: { "X-WX-Token": token } })).status, 200);
    }
    // 40 requests to tongxing (20 session checks, 20 /auth/session) and 20 to the API.
    assert.ok(relay.connections - toTongxing <= 2, `${relay.connections - toTongxing} new connections to tongxing`);
    assert.ok(app.connections - toApp <= 2, `${app.connections - toApp} new connections to the business API`);
  });

  test("a burst of concurrent requests reuses nginx's connections to tongxing: 10 waves of 64 open no more than one wave needs", async () => {
    const res = await loginFrom("127.0.0.45", "gw-burst");
    const token = res.body.token as string;
    const order = async () => {
      const orders = await fetch(`${gateway.url}/orders`, { headers: { "X-WX-Token": token } });
      assert.equal(orders.status, 200);
      await orders.arrayBuffer();
    };
    const before = relay.connections;
    for (let wave = 0; wave < 10; wave++) await Promise.all(Array.from({ length: 64 }, order));
    // 640 session checks, at most 64 at a time: a pool that keeps fewer idle connections than
    // were in flight closes the rest after each wave and opens them again in the next.
    const opened = relay.connections - before;
    assert.ok(opened <= 64, `${opened} connections to tongxing for 10 waves of 64 checks`);
  });

  test("the template re-resolves the upstream names (containers recreated or scaled keep being found)", async () => {
    const text = await readFile(TEMPLATE, "utf8");
    assert.match(text, /^resolver \$\{RESOLVER\} valid=\d+s/m, "compose's DNS, asked again every few seconds");
    for (const addr of ["TONGXING_ADDR", "APP_ADDR"]) {
      const block = new RegExp(
        `upstream \\w+ \\{[^}]*\\bzone \\w+ \\d+k;[^}]*server \\$\\{${addr}\\} resolve;[^}]*keepalive \\d+;[^}]*\\}`,
      );
      assert.match(text, block, `${addr}: an upstream with a shared zone, resolve and keepalive`);
    }
    for (const location of text.split(/\n {4}location /).slice(1)) {
      if (!location.includes("proxy_pass")) continue;
      assert.match(location, /proxy_pass http:\/\/(tongxing|business_api)[/;]/, "through an upstream block");
      assert.match(location, /proxy_set_header Connection "";/, "no Connection: close to the upstream");
    }
    assert.match(text, /^ {4}proxy_http_version 1\.1;/m, "HTTP/1.1 to the upstreams (keepalive needs it)");
  });
});
