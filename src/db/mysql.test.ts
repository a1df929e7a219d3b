import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import mariadb from "mariadb";
import { isMysqlNotReady, isMysqlUrl, mysqlOptions } from "./mysql.js";
import { lockName } from "./mysqlMigrations.js";

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
  // The collation alone: the driver ignores it when `charset` is given too (utf8mb4_general_ci then).
  assert.equal(options.charset, undefined);
  assert.equal(options.collation, "UTF8MB4_UNICODE_CI");
});

test("MySQL 8's login over TLS or with the server's RSA key: the URL's parameters reach the driver", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tongxing-mysql-"));
  const ca = path.join(dir, "ca.pem");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  try {
    const base = "mysql://app:pw@db.internal:3306/tongxing";
    const plain = mysqlOptions(base);
    assert.deepEqual([plain.ssl, plain.allowPublicKeyRetrieval, plain.cachingRsaPublicKey], [undefined, false, undefined]);
    assert.equal(mysqlOptions(`${base}?sslaccept=strict`).ssl, true);
    assert.deepEqual(mysqlOptions(`${base}?sslaccept=accept_invalid_certs`).ssl, { rejectUnauthorized: false });
    assert.deepEqual(mysqlOptions(`${base}?sslcert=${encodeURIComponent(ca)}`).ssl, { ca: readFileSync(ca, "utf8") });
    assert.throws(() => mysqlOptions(`${base}?sslcert=${encodeURIComponent(path.join(dir, "missing.pem"))}`), /ENOENT/);
    const key = mysqlOptions(`${base}?cachingRsaPublicKey=${encodeURIComponent("/etc/mysql/public_key.pem")}&allowPublicKeyRetrieval=true`);
    assert.deepEqual([key.cachingRsaPublicKey, key.allowPublicKeyRetrieval], ["/etc/mysql/public_key.pem", true]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the migration lock's name fits MySQL's 64 characters for any database name tongxing accepts", () => {
  assert.equal(lockName("tongxing"), "tongxing:migrate:tongxing", "a short name is kept as it was");
  const longest = "d".repeat(63);
  assert.ok(`tongxing:migrate:${longest}`.length > 64);
  assert.ok(lockName(longest).length <= 64, lockName(longest));
  assert.notEqual(lockName(longest), lockName(`${"d".repeat(62)}e`), "two long names, two locks");
  assert.equal(lockName("d".repeat(47)), `tongxing:migrate:${"d".repeat(47)}`, "64 exactly is kept");
});
