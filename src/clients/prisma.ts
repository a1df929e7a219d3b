/**
 * The database connection, through Prisma 7's client with a driver adapter (no native query
 * engine: docs/database.md): node-postgres for postgresql:// URLs, the `mariadb` driver for
 * mysql:// (MySQL 8.0+, MariaDB 10.11+).
 */
import { PrismaMariaDb } from "@prisma/adapter-mariadb";
import { PrismaPg } from "@prisma/adapter-pg";
import type { Logger } from "pino";
import { isMysqlUrl, mysqlOptions } from "../db/mysql.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { PrismaClient as MysqlPrismaClient } from "../generated/prisma-mysql/client.js";

export type { PrismaClient };

/**
 * Creates a Prisma client for `databaseUrl`. It connects lazily on the first query.
 * @param connectionTimeoutMs - how long a query waits for a connection before failing
 * @param poolSize - connections at most (the webhook worker has a small pool of its own)
 */
export function createPrisma(databaseUrl: string, log: Logger, connectionTimeoutMs = 2000, poolSize = 10): PrismaClient {
  // Idle pooled connections die when the database restarts; the pool drops them and reconnects on
  // the next query. Logged, not thrown: requests that need the database get 503 meanwhile.
  const onPoolError = (err: Error) => log.warn({ err }, "database connection lost");
  if (isMysqlUrl(databaseUrl)) {
    const adapter = new PrismaMariaDb(
      { ...mysqlOptions(databaseUrl), connectionLimit: poolSize, acquireTimeout: connectionTimeoutMs },
      { onConnectionError: onPoolError },
    );
    // Generated from the same model (prisma/mysql/schema.prisma is a copy with the provider
    // swapped), so its API is the PostgreSQL client's: the rest of the code is typed against one.
    const client = new MysqlPrismaClient({ adapter }) as unknown as PrismaClient;
    mysqlUrls.set(client, databaseUrl);
    return client;
  }
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, connectionTimeoutMillis: connectionTimeoutMs, max: poolSize },
    { onPoolError, onConnectionError: onPoolError },
  );
  return new PrismaClient({ adapter });
}

/** The URL each MySQL client was made for: the identity lock opens its own connection with it. */
const mysqlUrls = new WeakMap<object, string>();

/**
 * The DATABASE_URL of a MySQL client made by createPrisma.
 * @throws when `prisma` is not one
 */
export function mysqlUrlOf(prisma: PrismaClient): string {
  const url = mysqlUrls.get(prisma);
  if (url === undefined) throw new Error("not a MySQL client made by createPrisma");
  return url;
}

/**
 * True when `db` (a client, or the transaction client of one) talks to MySQL/MariaDB: the few raw
 * SQL statements have a form per database. Prisma's client keeps its provider in `_activeProvider`.
 */
export function isMysqlClient(db: object): boolean {
  return (db as { _activeProvider?: unknown })._activeProvider === "mysql";
}
