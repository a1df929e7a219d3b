/**
 * Test support: a direct SQL connection to a stack's database, PostgreSQL or MySQL/MariaDB by its
 * URL, so a suite that inspects rows runs on both (TEST_DATABASE=mysql). Write PostgreSQL's `$1`
 * placeholders, each once and in order; on MySQL they become `?`. Name computed columns (`AS n`):
 * the two databases name them differently.
 */
import mariadb from "mariadb";
import pg from "pg";
import { isMysqlUrl, mysqlOptions } from "../src/db/mysql.js";

/** A connection with node-postgres's query shape. */
export interface SqlClient {
  query<T = any>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  end(): Promise<void>;
}

/** Connects to the database of `databaseUrl`. */
export async function connectSql(databaseUrl: string): Promise<SqlClient> {
  if (!isMysqlUrl(databaseUrl)) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return { query: async (sql, params) => ({ rows: (await client.query(sql, params)).rows }), end: () => client.end() };
  }
  const conn = await mariadb.createConnection(mysqlOptions(databaseUrl));
  return {
    query: async (sql, params) => {
      const result = await conn.query(sql.replace(/\$\d+/g, "?"), params);
      // A statement that returns no rows answers with an OK packet, not an array.
      return { rows: Array.isArray(result) ? [...result] : [] };
    },
    end: () => conn.end(),
  };
}
