/**
 * Readiness: whether this instance's backends answer, for GET /readyz (routes/health).
 */
import type { AppDeps } from "../deps.js";

/** How long each backend gets to answer, in milliseconds: a balancer polls often. */
const READY_TIMEOUT_MS = 1000;

/** Each backend's state as /readyz reports it. */
export interface BackendChecks {
  redis: "ok" | "down";
  /** The database, PostgreSQL or MySQL/MariaDB (DATABASE_URL). */
  database: "ok" | "down";
  /** The same as `database`, under the name it had when PostgreSQL was the only one: kept for probes that read it. */
  postgres: "ok" | "down";
}

/**
 * PINGs Redis and runs `SELECT 1` on the database, side by side, each within READY_TIMEOUT_MS.
 * Never throws: a backend that fails or does not answer in time is "down".
 */
export async function checkBackends(deps: Pick<AppDeps, "redis" | "prisma">): Promise<BackendChecks> {
  const [redis, database] = await Promise.allSettled([
    within(deps.redis.ping(), READY_TIMEOUT_MS),
    within(deps.prisma.$queryRaw`SELECT 1`, READY_TIMEOUT_MS),
  ]);
  const db = database.status === "fulfilled" ? "ok" : "down";
  return { redis: redis.status === "fulfilled" ? "ok" : "down", database: db, postgres: db };
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref())]);
}
