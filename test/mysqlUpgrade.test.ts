/**
 * MySQL/MariaDB deployments moving forward: a database built by the first MySQL migration, with
 * a user in it, upgraded at start to today's schema (no user changes id, identities become
 * WeChat's); and a database whose own default character set is latin1, which must not matter
 * (every table is created utf8mb4, the connection speaks utf8mb4).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import mariadb from "mariadb";
import { dropDatabase } from "../src/db/database.js";
import { ensureMysqlDatabase, mysqlDatabaseName, mysqlOptions } from "../src/db/mysql.js";
import { applyMysqlMigrations } from "../src/db/mysqlMigrations.js";
import { codeFor, freshDatabaseUrl, startStack } from "./support.js";

const FIRST = "20261204200000_init";
const NICKNAME = "👨‍👩‍👧‍👦🇨🇳同行𠮷";

/** A connection of MariaDB's own defaults (not the service's utf8mb4) to the database of `url`. */
function plainConnection(url: string) {
  const { charset: _, collation: __, ...plain } = mysqlOptions(url);
  return mariadb.createConnection(plain);
}

test("a database of the first MySQL migration, with users, upgrades at start: same ids, identities WeChat's", async () => {
  const url = freshDatabaseUrl("mysql");
  await ensureMysqlDatabase(url);
  assert.deepEqual(await applyMysqlMigrations(url, 120, FIRST), [FIRST]);
  const openid = `o${randomBytes(8).toString("hex")}`;
  const unionid = `u${randomBytes(8).toString("hex")}`;
  const db = await mariadb.createConnection(mysqlOptions(url));
  // Yesterday's user 7 (ids 1-6 gone: the sequence has a gap to keep) and their identity.
  await db.query("INSERT INTO users (id, nickname, updated_at) VALUES (7, 'old-ann', NOW(3))");
  await db.query("INSERT INTO identities (appid, openid, unionid, user_id) VALUES ('wxtest0123456789ab', ?, ?, 7)", [openid, unionid]);
  const stack = await startStack({ DATABASE_URL: url });
  try {
    const code = codeFor("old-ann");
    stack.fake.script(code, { openid, session_key: randomBytes(16).toString("base64"), unionid });
    const login = await stack.request("POST", "/auth/login", { body: { code } });
    assert.equal(login.status, 200, login.text);
    assert.deepEqual([login.body.user.id, login.body.isNewUser, login.body.user.nickname], [7, false, "old-ann"]);
    const [row] = await db.query("SELECT platform FROM identities WHERE user_id = 7");
    assert.equal(row.platform, "wechat");
    const applied = await db.query("SELECT migration_name FROM _prisma_migrations ORDER BY migration_name");
    assert.ok(applied.length > 1 && applied[0].migration_name === FIRST, "the later migrations were applied at start");
    const fresh = await stack.login("new-bob");
    assert.ok(fresh.body.user.id > 7, "the sequence goes on past the old rows");
  } finally {
    await db.end();
    await stack.stop();
  }
});

test("a database whose default character set is latin1: tables utf8mb4, an emoji nickname byte for byte", async () => {
  const url = freshDatabaseUrl("mysql");
  const root = await mariadb.createConnection(mysqlOptions(url, null));
  await root.query(`CREATE DATABASE \`${mysqlDatabaseName(url)}\` CHARACTER SET latin1 COLLATE latin1_swedish_ci`);
  await root.end();
  const stack = await startStack({ DATABASE_URL: url });
  const db = await plainConnection(url);
  try {
    const [{ cs }] = await db.query(
      "SELECT DEFAULT_CHARACTER_SET_NAME AS cs FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
    );
    assert.equal(cs, "latin1", "the database keeps its own default");
    const tables = await db.query(
      "SELECT TABLE_NAME AS name, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '_prisma_migrations'",
    );
    assert.ok(tables.length >= 4);
    for (const t of tables) assert.match(t.collation, /^utf8mb4_/, t.name);
    const login = await stack.login("latin", { profile: { nickname: NICKNAME } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.user.nickname, NICKNAME);
    const [row] = await db.query("SELECT HEX(nickname) AS hex FROM users WHERE id = ?", [login.body.user.id]);
    assert.equal(row.hex, Buffer.from(NICKNAME, "utf8").toString("hex").toUpperCase());
  } finally {
    await db.end();
    await stack.stop();
    await dropDatabase(url).catch(() => {});
  }
});
