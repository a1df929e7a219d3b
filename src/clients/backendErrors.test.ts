/**
 * isBackendUnavailable recognises the errors real Redis and PostgreSQL clients throw when their
 * server cannot be reached (produced here by pointing real clients at a closed port), and nothing
 * else.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { Cluster, Redis } from "ioredis";
import Koa from "koa";
import mariadb from "mariadb";
import pino from "pino";
import { mysqlOptions } from "../db/mysql.js";
import { AppError } from "../errors.js";
import { errorHandler } from "../middlewares/errorHandler.js";
import { isBackendUnavailable } from "./backendErrors.js";
import { createPrisma } from "./prisma.js";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(op: () => Promise<unknown>): Promise<unknown> {
  try {
    await op();
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure");
}

test("Redis unreachable: the errors ioredis throws are recognised", async () => {
  const port = await closedPort();
  const offline = new Redis(port, "127.0.0.1", { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
  offline.on("error", () => {});
  assert.ok(isBackendUnavailable(await failure(() => offline.get("k"))), "no offline queue, not connected");
  const retrying = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1, retryStrategy: () => 10 });
  retrying.on("error", () => {});
  assert.ok(isBackendUnavailable(await failure(() => retrying.get("k"))), "retries exhausted");
  retrying.disconnect();
  const cluster = new Cluster([{ host: "127.0.0.1", port }], { clusterRetryStrategy: () => null, enableOfflineQueue: true });
  cluster.on("error", () => {});
  assert.ok(isBackendUnavailable(await failure(() => cluster.get("k"))), "cluster unreachable");
  cluster.disconnect();
});

test("PostgreSQL unreachable: the error Prisma throws through the pg adapter is recognised", async () => {
  const port = await closedPort();
  const prisma = createPrisma(`postgresql://postgres@127.0.0.1:${port}/nowhere`, pino({ level: "silent" }), 500);
  try {
    assert.ok(isBackendUnavailable(await failure(() => prisma.user.findFirst())));
    // A raw query reports it differently (P2010, the adapter's error kind in meta).
    assert.ok(isBackendUnavailable(await failure(() => prisma.$queryRaw`SELECT 1`)), "a raw query");
  } finally {
    await prisma.$disconnect();
  }
});

test("PostgreSQL ending a connection mid-query (57P01, as a restart or failover does): a raw query's error is recognised", async () => {
  const base = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const victim = createPrisma(base, pino({ level: "silent" }), 5000);
  const admin = createPrisma(base, pino({ level: "silent" }), 5000);
  try {
    const marker = `backendErrors-${process.pid}-${Date.now()}`;
    const sleeping = failure(() => victim.$queryRawUnsafe(`SELECT pg_sleep(10), '${marker}'`));
    // pg_terminate_backend is what PostgreSQL's own shutdown sends every backend: FATAL 57P01.
    let terminated = 0;
    for (let i = 0; i < 100 && !terminated; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const rows = await admin.$queryRawUnsafe<{ pid: number }[]>(
        `SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid() AND pg_terminate_backend(pid)`,
        `%'${marker}'%`,
      );
      terminated = rows.length;
    }
    assert.equal(terminated, 1, "the sleeping query's backend was terminated");
    const err = await sleeping;
    const cause = (err as { meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string } } } }).meta?.driverAdapterError?.cause;
    assert.deepEqual({ kind: cause?.kind, code: cause?.code }, { kind: "postgres", code: "57P01" });
    assert.ok(isBackendUnavailable(err));
  } finally {
    await victim.$disconnect();
    await admin.$disconnect();
  }
});

test("PostgreSQL hanging up on a connection: node-postgres's message-only error is recognised", async () => {
  // A server that accepts and closes at once, as a PostgreSQL (or a proxy) going away does.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const prisma = createPrisma(`postgresql://postgres@127.0.0.1:${port}/nowhere`, pino({ level: "silent" }), 500);
  try {
    const err = await failure(() => prisma.user.findFirst());
    assert.match((err as Error).message, /Connection terminated/);
    assert.ok(isBackendUnavailable(err));
  } finally {
    await prisma.$disconnect();
    server.close();
  }
});

test("other errors are not", () => {
  assert.equal(isBackendUnavailable(new Error("boom")), false);
  assert.equal(isBackendUnavailable(new TypeError("x is not a function")), false);
  assert.equal(isBackendUnavailable(new AppError(400, "INVALID_REQUEST", "no")), false);
  assert.equal(isBackendUnavailable(Object.assign(new Error("unique"), { code: "P2002" })), false);
  assert.equal(isBackendUnavailable(undefined), false);
});

test("the error handler answers such a failure from any code path with 503 SERVICE_UNAVAILABLE, not 500", async () => {
  const port = await closedPort();
  const redis = new Redis(port, "127.0.0.1", { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on("error", () => {});
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler());
  // Like the access_token cache: a Redis call no storage() wrapper guards.
  app.use(async (ctx) => {
    ctx.body = { value: await redis.get("k") };
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "SERVICE_UNAVAILABLE");
  } finally {
    server.close();
  }
});

test("MySQL unreachable: the errors Prisma throws through the mariadb adapter, and the driver's own, are recognised", async () => {
  const port = await closedPort();
  const url = `mysql://root@127.0.0.1:${port}/nowhere`;
  const prisma = createPrisma(url, pino({ level: "silent" }), 500);
  try {
    assert.ok(isBackendUnavailable(await failure(() => prisma.user.findFirst())), "a model query");
    assert.ok(isBackendUnavailable(await failure(() => prisma.$queryRaw`SELECT 1`)), "a raw query");
    // The returning-user login's batch transaction (commands/returningUser.ts).
    const batch = () => prisma.$transaction([prisma.$executeRaw`SELECT 1`, prisma.$queryRaw`SELECT 1`]);
    assert.ok(isBackendUnavailable(await failure(batch)), "a batch transaction");
    assert.ok(isBackendUnavailable(await failure(() => mariadb.createConnection(mysqlOptions(url)))), "the driver's own connection");
  } finally {
    await prisma.$disconnect();
  }
  // MySQL 8.0.24+ says why before it closes a connection idle past wait_timeout; MariaDB has no
  // such error, so this is the driver's error as it carries one (errno, sqlState, fatal).
  const inactivity = Object.assign(
    new Error("(conn:12, no: 4031, SQLState: HY000) The client was disconnected by the server because of inactivity."),
    {
      errno: 4031,
      sqlState: "HY000",
      fatal: false,
    },
  );
  assert.ok(isBackendUnavailable(inactivity), "4031");
  // A query MySQL refuses is not an outage.
  const live = await mariadb.createConnection(mysqlOptions("mysql://root@127.0.0.1:3306/mysql"));
  try {
    assert.ok(!isBackendUnavailable(await failure(() => live.query("SELECT * FROM no_such_table_here"))));
  } finally {
    await live.end();
  }
});
