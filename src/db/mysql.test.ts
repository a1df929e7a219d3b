import assert from "node:assert/strict";
import { test } from "node:test";
import mariadb from "mariadb";
import { isMysqlNotReady, isMysqlUrl, mysqlOptions } from "./mysql.js";

async function connectError(url: string): Promise<unknown> {
  try {
    await (await mariadb.createConnection(mysqlOptions(url))).end();
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure");
}

test("a MySQL that is not there yet is waited for; a refused login or an unknown database is not", async () => {
  assert.equal(isMysqlNotReady(await connectError("mysql://root@127.0.0.1:1/x")), true, "connection refused");
  assert.equal(isMysqlNotReady(await connectError("mysql://nobody:wrong@127.0.0.1:3306/x")), false, "access denied");
  assert.equal(isMysqlNotReady(await connectError("mysql://root@127.0.0.1:3306/no_such_database_here")), false, "unknown database");
});

test("DATABASE_URL's scheme picks the database; the URL's parts reach the driver decoded", () => {
  assert.equal(isMysqlUrl("mysql://root@db/tongxing"), true);
  assert.equal(isMysqlUrl("mariadb://root@db/tongxing"), true);
  assert.equal(isMysqlUrl("postgresql://postgres@db/tongxing"), false);
  const options = mysqlOptions("mysql://app:p%40ss%2Fword@db.internal:3307/tongxing");
  assert.deepEqual(
    [options.host, options.port, options.user, options.password, options.database],
    ["db.internal", 3307, "app", "p@ss/word", "tongxing"],
  );
  assert.equal(options.charset, "utf8mb4");
});
