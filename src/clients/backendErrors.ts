/**
 * Recognises "the storage backend cannot be asked" once, for the error handler: such a failure is
 * 503 SERVICE_UNAVAILABLE (try again shortly), not a 500, wherever it happens (a session check,
 * the access_token cache, a Prisma query). Everything else stays an unknown error.
 */

/** ioredis reports an unreachable Redis (or Cluster) by message only; these are its texts. */
const REDIS_UNAVAILABLE = [
  "Stream isn't writeable", // not connected, and no offline queue
  "Connection is closed", // the connection closed under a pending command
  "Command timed out", // commandTimeout: connected, but Redis did not answer
  "None of startup nodes is available", // Cluster
  "Failed to refresh slots cache", // Cluster
  "Cluster isn't ready",
];

/** node-postgres (through @prisma/adapter-pg) reports a lost connection by message only. */
const POSTGRES_UNAVAILABLE = [
  "Connection terminated", // "... unexpectedly", "... due to connection timeout"
  "timeout exceeded when trying to connect", // pg-pool: no connection in connectionTimeoutMillis
  "Client has encountered a connection error and is not queryable",
];

/**
 * Prisma's codes for a database it cannot reach or talk to
 * (https://www.prisma.io/docs/orm/reference/error-reference): can't reach (P1001), timed out
 * (P1002, P1008), connection closed (P1017), no pool connection in time (P2024).
 */
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);

/**
 * P2028 is every "Transaction API error"; only this one says no connection came in time (the
 * pool's wait, as P2024 for a single query). It is how a batch transaction reports a database
 * that is down or out of connections; others (a transaction that ran past its timeout) are bugs.
 */
const TRANSACTION_NOT_STARTED = "Unable to start a transaction in the given time";

/**
 * The driver adapter's error kinds (@prisma/driver-adapter-utils) for the same failures. Prisma
 * maps them to the P1xxx codes above for model queries, but a raw query ($queryRaw) fails with
 * P2010 "Raw query failed" and only this kind in `meta.driverAdapterError.cause` says why.
 */
const ADAPTER_UNAVAILABLE = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/** PostgreSQL's SQLSTATE class 08 (connection exception) and 57P01-57P03 (the server is shutting down or cannot connect now). */
const POSTGRES_UNAVAILABLE_STATE = /^(08...|57P0[1-3])$/;

/**
 * MySQL/MariaDB error numbers for a server that cannot be reached or cannot take the work now:
 * too many connections (1040, 1203), shutting down (1053), the client's "can't connect" and
 * "gone away" (2002, 2003, 2006, 2013), MySQL 8.0.24+'s "disconnected for inactivity" before it
 * closes an idle connection (4031, ER_CLIENT_INTERACTION_TIMEOUT; MariaDB's 4031 is a trigger
 * error tongxing cannot cause); and the `mariadb` driver's own for a connection it could
 * not make, lost, or could not get from its pool in time (45001-45061, its lib/misc/errors.js).
 * A duplicate key, a syntax error or a refused password stays an unknown error.
 */
const MYSQL_UNAVAILABLE = new Set([
  1040, 1053, 1203, 2002, 2003, 2006, 2013, 4031, 45001, 45009, 45012, 45013, 45019, 45026, 45028, 45039, 45042, 45061,
]);

/** Socket-level codes (node-postgres and any raw connection). */
const SOCKET_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** True when `err` says Redis, PostgreSQL or MySQL could not be reached or did not answer in time. */
export function isBackendUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === "MaxRetriesPerRequestError" || err.name === "PrismaClientInitializationError") return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (PRISMA_UNAVAILABLE.has(code) || SOCKET_UNAVAILABLE.has(code))) return true;
  if (typeof code === "string" && POSTGRES_UNAVAILABLE_STATE.test(code)) return true;
  if (code === "P2028" && err.message.includes(TRANSACTION_NOT_STARTED)) return true;
  // The mariadb driver's own errors (the identity lock's and the migrations' connections).
  const errno = (err as { errno?: unknown }).errno;
  if (typeof errno === "number" && MYSQL_UNAVAILABLE.has(errno)) return true;
  const adapterCause = (err as { meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown } } } }).meta?.driverAdapterError
    ?.cause;
  if (typeof adapterCause?.kind === "string" && ADAPTER_UNAVAILABLE.has(adapterCause.kind)) return true;
  if (adapterCause?.kind === "postgres" && typeof adapterCause.code === "string" && POSTGRES_UNAVAILABLE_STATE.test(adapterCause.code))
    return true;
  if (adapterCause?.kind === "mysql" && typeof adapterCause.code === "number" && MYSQL_UNAVAILABLE.has(adapterCause.code)) return true;
  return [...REDIS_UNAVAILABLE, ...POSTGRES_UNAVAILABLE].some((text) => err.message.startsWith(text));
}
