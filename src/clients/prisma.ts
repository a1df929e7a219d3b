/**
 * The PostgreSQL connection, through Prisma 7's client with the node-postgres driver adapter
 * (no native query engine: docs/database.md).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import type { Logger } from "pino";
import { PrismaClient } from "../generated/prisma/client.js";

export type { PrismaClient };

/**
 * Creates a Prisma client for `databaseUrl`. It connects lazily on the first query.
 * @param connectionTimeoutMs - how long a query waits for a connection before failing
 */
export function createPrisma(databaseUrl: string, log: Logger, connectionTimeoutMs = 2000): PrismaClient {
  // Idle pooled connections die when PostgreSQL restarts; the pool drops them and reconnects on
  // the next query. Logged, not thrown: requests that need the database get 503 meanwhile.
  const onPoolError = (err: Error) => log.warn({ err }, "postgres connection lost");
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, connectionTimeoutMillis: connectionTimeoutMs, max: 10 },
    { onPoolError, onConnectionError: onPoolError },
  );
  return new PrismaClient({ adapter });
}
