/**
 * The lock that serialises the writes that give a person's identities their user: a first login
 * takes it before it links an identity to a user or creates one (login.ts), account
 * deletion before it deletes a user's identities (userAdmin.ts). Keyed by the unionid when WeChat
 * gave one (one person in every app bound to one Open Platform account), else by the identity
 * (appid, openid). Held until the transaction has committed or rolled back, so a login that waited
 * for it reads what the holder wrote:
 * - PostgreSQL: `pg_advisory_xact_lock`, scoped to the transaction itself.
 * - MySQL/MariaDB: `GET_LOCK`, which belongs to a connection, not a transaction. Taken on a
 *   connection of its own, it is released only once Prisma's transaction has ended (taken inside
 *   it, it would go back to the pool still held, or be released before the commit, letting a
 *   waiter read the table without the holder's row); the server drops it if that connection dies.
 */
import { createHash } from "node:crypto";
import mariadb from "mariadb";
import { isMysqlClient, mysqlUrlOf, type PrismaClient } from "../clients/prisma.js";
import { mysqlOptions } from "../db/mysql.js";
import { serviceUnavailable } from "../errors.js";
import { type Platform, unionScope } from "../platforms/types.js";

/** A transaction's client, as `$transaction` hands it out. */
export type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/** Takes the named locks for the rest of the transaction, each once, in sorted order. */
export type LockIdentities = (names: string[]) => Promise<void>;

/** How long a MySQL first login waits for another one's lock (PostgreSQL's waits without end), in seconds. */
const MYSQL_LOCK_WAIT_SECONDS = 30;

/**
 * The lock's name for an identity: its unionid's (within the platform's union scope: WeChat's
 * unionids keep the name they had before other platforms, so instances of both versions agree
 * during a rolling deploy), else its own.
 */
export function identityLockName(platform: string, appid: string, openid: string, unionid: string | null | undefined): string {
  if (!unionid) return `identity:${appid}:${openid}`;
  const scope = unionScope(platform as Platform);
  return scope === "wechat" ? `unionid:${unionid}` : `unionid:${scope}:${unionid}`;
}

/**
 * Runs `fn` in one transaction, with `lock` taking identity locks that last until it has ended.
 * Sorted order: two deletions of one account take them in the same order, so they wait for each
 * other instead of deadlocking.
 * @throws what `fn` throws; on MySQL, AppError 503 SERVICE_UNAVAILABLE when a lock is not had in 30 s
 */
export async function lockedTransaction<T>(prisma: PrismaClient, fn: (tx: Tx, lock: LockIdentities) => Promise<T>): Promise<T> {
  if (!isMysqlClient(prisma)) {
    return prisma.$transaction((tx) =>
      fn(tx, async (names) => {
        for (const name of [...new Set(names)].sort()) {
          // ::text: the function returns void, which the driver adapter cannot read.
          await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${name}, 0))::text`;
        }
      }),
    );
  }
  const url = mysqlUrlOf(prisma);
  let holder: mariadb.Connection | undefined;
  const lock: LockIdentities = async (names) => {
    holder ??= await mariadb.createConnection(mysqlOptions(url));
    const database = new URL(url).pathname;
    for (const name of [...new Set(names)].sort()) {
      // GET_LOCK names are per server and at most 64 characters: the database and the name, hashed.
      const key = `tx:${createHash("sha256").update(`${database}\n${name}`).digest("base64url")}`;
      const [{ got }] = await holder.query("SELECT GET_LOCK(?, ?) AS got", [key, MYSQL_LOCK_WAIT_SECONDS]);
      // A first login waiting this long means a database too busy to answer: 503, try again.
      if (Number(got) !== 1) throw serviceUnavailable(new Error(`identity lock not had in ${MYSQL_LOCK_WAIT_SECONDS} s`));
    }
  };
  try {
    return await prisma.$transaction((tx) => fn(tx, lock));
  } finally {
    // Ending the connection releases every lock it holds (the same as RELEASE_LOCK on each).
    await holder?.end().catch(() => holder?.destroy());
  }
}
