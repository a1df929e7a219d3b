/**
 * Creates the application database when it does not exist yet, so that `npm start` works on a
 * fresh PostgreSQL server with nothing done by hand.
 */
import pg from "pg";
import { dropMysqlDatabase, isMysqlUrl } from "./mysql.js";

/**
 * Ensures the database named in `databaseUrl` exists, connecting to the server's `postgres`
 * maintenance database to run `CREATE DATABASE` when it is missing.
 * @returns true when this call created it
 * @throws when the server cannot be reached or the name is not a plain identifier
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`DATABASE_URL names an unusual database "${name}"; create it by hand`);
  url.pathname = "/postgres";
  // Bounded, so that a server that drops packets is one failed attempt of the start's wait.
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      // Another instance starting at the same moment created it first: that is fine. PostgreSQL
      // says so with 42P04 (duplicate_database), or with 23505 (unique_violation on
      // pg_database_datname_index) when the two CREATEs raced inside the catalog.
      const code = (err as { code?: string }).code;
      if (code !== "42P04" && code !== "23505") throw err;
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}

/**
 * True when `err` from connecting to PostgreSQL is one that waiting can cure: nothing listens
 * yet, the name does not resolve yet, the server is starting or shutting down, or is out of
 * connections. A rejected password or a bad database name is not: the start fails at once.
 * SQLSTATE classes from https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isPostgresNotReady(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? "";
    // 08: connection exception; 57P01-57P03: shutting down, crash recovery, starting up;
    // 53300: too many connections.
    return code.startsWith("08") || /^57P0[123]$/.test(code) || code === "53300";
  }
  const code = (err as { code?: unknown }).code;
  // Node's socket errors (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ECONNRESET, ...).
  if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return true;
  return /Connection terminated|timeout/i.test((err as Error).message ?? "");
}

/**
 * Drops a database (PostgreSQL's or MySQL's, by the URL) if it exists (tests and the benchmark harness clean up with it).
 */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  if (isMysqlUrl(databaseUrl)) return dropMysqlDatabase(databaseUrl);
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
