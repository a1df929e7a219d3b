/**
 * MySQL/MariaDB (DATABASE_URL=mysql://...): the model's MySQL copy and migration history against
 * the PostgreSQL ones, and the real server on the machine's MariaDB: the database created at
 * start, logins (new, returning, 30 at once), /me, deletion, and an emoji nickname read back byte
 * for byte through MariaDB itself.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import mariadb from "mariadb";
import pg from "pg";
import { dropDatabase, ensureDatabase } from "../src/db/database.js";
import { ensureMysqlDatabase, mysqlOptions } from "../src/db/mysql.js";
import { applyMysqlMigrations } from "../src/db/mysqlMigrations.js";
import { mysqlSchemaOf } from "../src/db/mysqlSchema.js";
import { applyMigrations, PROJECT_ROOT } from "../src/db/schemaEngine.js";
import { freshDatabaseUrl, type Stack, startStack } from "./support.js";

/** A ZWJ family, a flag, CJK and a 4-byte CJK extension character: utf8mb3 holds only the CJK. */
const NICKNAME = "👨‍👩‍👧‍👦🇨🇳同行𠮷";

test("prisma/mysql/schema.prisma is the model with only the provider's parts swapped", async () => {
  const model = await readFile(path.join(PROJECT_ROOT, "prisma/schema.prisma"), "utf8");
  const copy = await readFile(path.join(PROJECT_ROOT, "prisma/mysql/schema.prisma"), "utf8");
  assert.equal(copy, mysqlSchemaOf(model), "run npm run generate");
});

/** Tables → columns (name, type, nullable) and indexes (name, unique, columns), in one vocabulary. */
type Shape = Record<string, { columns: string[]; indexes: string[] }>;

/** The entry of `table` in `shape`, made when missing. */
function tableOf(shape: Shape, table: string): { columns: string[]; indexes: string[] } {
  shape[table] ??= { columns: [], indexes: [] };
  return shape[table];
}

/** PostgreSQL's types in MySQL's words: what the two histories must agree on. */
const PG_TYPE: Record<string, string> = { integer: "int", bigint: "bigint", "timestamp with time zone": "datetime" };

async function postgresShape(url: string): Promise<Shape> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const shape: Shape = {};
    const cols = await db.query(
      `SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`,
    );
    for (const c of cols.rows) {
      const type = c.len ? `varchar(${c.len})` : (PG_TYPE[c.data_type] ?? c.data_type);
      tableOf(shape, c.table_name).columns.push(`${c.column_name} ${type} ${c.is_nullable}`);
    }
    const idx = await db.query(
      `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
         array_to_string(array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o), ',') AS cols
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public' AND t.relname <> '_prisma_migrations'`,
    );
    for (const i of idx.rows) shape[i.table]?.indexes.push(`${i.primary ? "PRIMARY" : i.name} ${i.unique} ${i.cols}`);
    for (const t of Object.values(shape)) {
      t.columns.sort();
      t.indexes.sort();
    }
    return shape;
  } finally {
    await db.end();
  }
}

async function mysqlShape(url: string): Promise<Shape> {
  const db = await mariadb.createConnection(mysqlOptions(url));
  try {
    const shape: Shape = {};
    const cols = await db.query(
      `SELECT table_name AS t, column_name AS c, data_type AS d, character_maximum_length AS len, is_nullable AS n
       FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name <> '_prisma_migrations' ORDER BY t, c`,
    );
    for (const c of cols) {
      // TEXT has a length too (65535 bytes): only a varchar's is part of its type.
      const type = c.d === "varchar" ? `varchar(${c.len})` : c.d;
      tableOf(shape, c.t).columns.push(`${c.c} ${type} ${c.n}`);
    }
    const idx = await db.query(
      `SELECT table_name AS t, index_name AS i, non_unique = 0 AS u, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS cols
       FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name <> '_prisma_migrations'
       GROUP BY t, i, u`,
    );
    for (const i of idx) shape[i.t]?.indexes.push(`${i.i} ${Number(i.u) === 1} ${i.cols}`);
    for (const t of Object.values(shape)) {
      t.columns.sort();
      t.indexes.sort();
    }
    return shape;
  } finally {
    await db.end();
  }
}

test("the MySQL migration history builds the tables, columns and indexes the PostgreSQL one builds", async () => {
  const pgUrl = freshDatabaseUrl("postgresql");
  const myUrl = freshDatabaseUrl("mysql");
  try {
    await ensureDatabase(pgUrl);
    await applyMigrations(pgUrl);
    await ensureMysqlDatabase(myUrl);
    const history = (await readdir(path.join(PROJECT_ROOT, "prisma/mysql/migrations"), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    assert.equal(history[0], "20261204200000_init");
    assert.deepEqual(await applyMysqlMigrations(myUrl), history);
    assert.deepEqual(await applyMysqlMigrations(myUrl), [], "a second run applies nothing");
    assert.deepEqual(await mysqlShape(myUrl), await postgresShape(pgUrl));
  } finally {
    await dropDatabase(pgUrl);
    await dropDatabase(myUrl);
  }
});

describe("the server on MariaDB", () => {
  let stack: Stack;
  let db: mariadb.Connection;
  before(async () => {
    stack = await startStack({ DATABASE_URL: freshDatabaseUrl("mysql") });
    // A connection of MariaDB's own default character set, not the service's, reads the bytes.
    const { charset: _, collation: __, ...plain } = mysqlOptions(stack.databaseUrl);
    db = await mariadb.createConnection(plain);
  });
  after(async () => {
    await db?.end();
    await stack?.stop();
  });

  test("the database and its tables are created utf8mb4 at start", async () => {
    const [schema] = await db.query(
      "SELECT default_character_set_name AS cs FROM information_schema.schemata WHERE schema_name = DATABASE()",
    );
    assert.equal(schema.cs, "utf8mb4");
    const tables = await db.query(
      "SELECT table_name AS t, table_collation AS c FROM information_schema.tables WHERE table_schema = DATABASE()",
    );
    for (const t of tables) assert.match(t.c, /^utf8mb4_/, t.t);
  });

  test("login, /me and a second login round-trip an emoji nickname byte for byte", async () => {
    const first = await stack.login("emoji", { profile: { nickname: NICKNAME } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.isNewUser, true);
    const me = await stack.request("GET", "/me", { token: first.body.token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.nickname, NICKNAME);
    const [row] = await db.query(
      "SELECT HEX(nickname) AS hex, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS at FROM users WHERE id = ?",
      [first.body.user.id],
    );
    assert.equal(row.hex, Buffer.from(NICKNAME, "utf8").toString("hex").toUpperCase());
    // Stored in UTC, as on PostgreSQL: the column holds what the API says (%f has 6 digits).
    assert.equal(row.at.replace(/(\.\d{3})\d{3}Z$/, "$1Z"), first.body.user.createdAt);

    const again = await stack.login("emoji", { profile: { nickname: `${NICKNAME}!` } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.isNewUser, false);
    assert.equal(again.body.user.id, first.body.user.id);
    assert.equal(again.body.user.nickname, `${NICKNAME}!`);
    const [after] = await db.query("SELECT HEX(nickname) AS hex FROM users WHERE id = ?", [first.body.user.id]);
    assert.equal(after.hex, Buffer.from(`${NICKNAME}!`, "utf8").toString("hex").toUpperCase());
  });

  test("30 first logins of one person at once make one user, none refused", async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => stack.login("thirty")));
    for (const r of results) assert.equal(r.status, 200, r.text);
    assert.equal(new Set(results.map((r) => r.body.user.id)).size, 1);
    assert.equal(results.filter((r) => r.body.isNewUser).length, 1);
    const [{ n }] = await db.query("SELECT COUNT(*) AS n FROM users u JOIN identities i ON i.user_id = u.id WHERE u.id = ?", [
      results[0]?.body.user.id,
    ]);
    assert.equal(Number(n), 1);
  });

  test("DELETE /me deletes the identities; the next login is a new user", async () => {
    const first = await stack.login("leaver");
    const del = await stack.request("DELETE", "/me", { token: first.body.token });
    assert.ok(del.status === 200 || del.status === 204, del.text);
    const [{ n }] = await db.query("SELECT COUNT(*) AS n FROM identities WHERE user_id = ?", [first.body.user.id]);
    assert.equal(Number(n), 0);
    const next = await stack.login("leaver");
    assert.equal(next.body.isNewUser, true);
    assert.notEqual(next.body.user.id, first.body.user.id);
  });
});
