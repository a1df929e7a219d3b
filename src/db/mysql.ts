/**
 * MySQL 8.0+ and MariaDB 10.11+ (DATABASE_URL=mysql://...), through the `mariadb` driver that
 * Prisma's `@prisma/adapter-mariadb` uses: the connection settings, `CREATE DATABASE` at start,
 * and which connection failures waiting can cure. The PostgreSQL twins live in database.ts.
 */
import { readFileSync } from "node:fs";
import mariadb from "mariadb";

/** Which database a DATABASE_URL names: `mysql://` (or `mariadb://`) is MySQL/MariaDB, anything else PostgreSQL. */
export function isMysqlUrl(databaseUrl: string): boolean {
  return /^(mysql|mariadb):/i.test(databaseUrl);
}

/**
 * The driver's settings for a mysql:// URL. Every connection speaks utf8mb4 (4-byte UTF-8, for
 * emoji) whatever the server's default (latin1, utf8mb3), and runs in UTC: Prisma's adapter writes
 * and reads DATETIME as UTC itself, but NOW(3) and column defaults follow the session time zone,
 * which UTC keeps equal to PostgreSQL's. Set by `initSql`, not the driver's `timezone` option: when
 * a connection dies while the pool sets that one up, the driver rejects a promise nobody awaits.
 *
 * The character set is given as a collation only: the driver applies `charset` and then ignores
 * `collation`, so `utf8mb4` alone would mean utf8mb4_general_ci; the collation names both.
 *
 * MySQL 8's default login (caching_sha2_password) sends the password only over TLS or encrypted
 * with the server's RSA key, so the URL's parameters (Prisma's names for MySQL where it has them)
 * reach the driver: `sslaccept=strict` (TLS, the certificate checked against the system's CAs) or
 * `sslaccept=accept_invalid_certs`; `sslcert=<file>`, the CA that signed the server's certificate
 * (TLS, checked against it); `cachingRsaPublicKey=<file or PEM>`, the server's RSA key given ahead;
 * `allowPublicKeyRetrieval=true`, the key asked of the server (open to a man in the middle).
 * The `mariadb` driver checks a MySQL server's certificate strictly, MySQL's self-made ones included.
 * @param database - another database than the URL's (null: none, to create or drop it)
 * @throws when `sslcert` names a file that cannot be read
 */
export function mysqlOptions(databaseUrl: string, database?: string | null): mariadb.PoolConfig {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  return {
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, "")),
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: database === null ? undefined : (database ?? name),
    collation: "UTF8MB4_UNICODE_CI",
    initSql: "SET time_zone = '+00:00'",
    // Bounded, so that a server that drops packets is one failed attempt of the start's wait.
    connectTimeout: 5000,
    allowPublicKeyRetrieval: url.searchParams.get("allowPublicKeyRetrieval") === "true",
    cachingRsaPublicKey: url.searchParams.get("cachingRsaPublicKey") ?? undefined,
    ssl: tlsOptions(url.searchParams),
  };
}

/** The driver's `ssl` for the URL's `sslcert` and `sslaccept`; undefined: no TLS. */
function tlsOptions(params: URLSearchParams): mariadb.PoolConfig["ssl"] {
  const ca = params.get("sslcert");
  const accept = params.get("sslaccept");
  if (accept === "accept_invalid_certs") return { rejectUnauthorized: false };
  if (ca) return { ca: readFileSync(ca, "utf8") };
  return accept === "strict" ? true : undefined;
}

/** The database name of a mysql:// URL, refused when it is not a plain identifier. */
export function mysqlDatabaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`DATABASE_URL names an unusual database "${name}"; create it by hand`);
  return name;
}

/**
 * Ensures the database exists, created utf8mb4 (the server's default character set may be latin1
 * or utf8mb3, which cannot hold an emoji). `IF NOT EXISTS` makes instances starting together safe.
 * @returns true when this call created it
 * @throws when the server cannot be reached
 */
export async function ensureMysqlDatabase(databaseUrl: string): Promise<boolean> {
  const name = mysqlDatabaseName(databaseUrl);
  const conn = await mariadb.createConnection(mysqlOptions(databaseUrl, null));
  try {
    // Asked first: for an existing database MySQL 8 answers CREATE ... IF NOT EXISTS with one row
    // affected and a warning, MariaDB with none.
    const found = await conn.query("SELECT 1 AS x FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [name]);
    if ((found as unknown[]).length > 0) return false;
    const result = await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    // Another instance may have created it in between: then there is a warning, on both servers.
    return (result as { warningStatus: number }).warningStatus === 0;
  } finally {
    await conn.end();
  }
}

/** Drops a database if it exists (tests and the benchmark harness clean up with it). */
export async function dropMysqlDatabase(databaseUrl: string): Promise<void> {
  const name = mysqlDatabaseName(databaseUrl);
  const conn = await mariadb.createConnection(mysqlOptions(databaseUrl, null));
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}

/**
 * MySQL's error numbers that waiting can cure
 * (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html): too many
 * connections (1040), a host blocked or not resolved yet (1042, 1129), the server shutting down
 * (1053), and the client-side lost or refused connection codes (2002, 2003, 2006, 2013).
 */
const MYSQL_NOT_READY = new Set([1040, 1042, 1053, 1129, 2002, 2003, 2006, 2013]);

/**
 * True when `err` from connecting to MySQL/MariaDB is one that waiting can cure; a refused
 * password (1045) or an unknown database (1049) is not.
 */
export function isMysqlNotReady(err: unknown): boolean {
  const { errno, code } = err as { errno?: unknown; code?: unknown };
  if (typeof errno === "number" && MYSQL_NOT_READY.has(errno)) return true;
  // The driver's own socket and timeout codes (ER_CONNECTION_TIMEOUT, ER_SOCKET_UNEXPECTED_CLOSE) and Node's.
  return typeof code === "string" && /^(E(?!R_)[A-Z_]+|ER_(CONNECTION_TIMEOUT|SOCKET_UNEXPECTED_CLOSE|GET_CONNECTION_TIMEOUT))$/.test(code);
}
