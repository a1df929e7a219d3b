/**
 * Creates the application database when it does not exist yet, so that `npm start` works on a
 * fresh PostgreSQL server with nothing done by hand.
 */
import pg from "pg";

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
  const client = new pg.Client({ connectionString: url.toString() });
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
 * Drops a database if it exists (tests and the benchmark harness clean up with it).
 */
export async function dropDatabase(databaseUrl: string): Promise<void> {
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
