/**
 * The PostgreSQL connection, through Prisma 7's client with the node-postgres driver adapter
 * (no native query engine: ../shared/notes/prisma-offline.md).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type { PrismaClient };

/**
 * Creates a Prisma client for `databaseUrl`. It connects lazily on the first query.
 * @param connectionTimeoutMs - how long a query waits for a connection before failing
 */
export function createPrisma(databaseUrl: string, connectionTimeoutMs = 2000): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, connectionTimeoutMillis: connectionTimeoutMs, max: 10 });
  return new PrismaClient({ adapter });
}
