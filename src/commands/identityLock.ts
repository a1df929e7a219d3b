/**
 * The lock that serialises the writes that give a person's identities their user: a first login
 * takes it before it links an identity to a user or creates one (wechatLogin.ts), account
 * deletion before it deletes a user's identities (userAdmin.ts). A PostgreSQL advisory lock
 * scoped to the transaction (released at commit or rollback, so never left behind), keyed by the
 * unionid when WeChat gave one (one person in every app bound to one Open Platform account),
 * else by the identity (appid, openid).
 */
import type { PrismaClient } from "../clients/prisma.js";

/** The lock's name for an identity: its unionid's, else its own. */
export function identityLockName(appid: string, openid: string, unionid: string | null | undefined): string {
  return unionid ? `unionid:${unionid}` : `identity:${appid}:${openid}`;
}

/**
 * Takes the named locks in the current transaction, each once, in sorted order: two deletions of
 * one account take them in the same order, so they wait for each other instead of deadlocking.
 * Waits as long as another transaction holds one (PostgreSQL `pg_advisory_xact_lock`).
 */
export async function lockIdentities(tx: Pick<PrismaClient, "$queryRaw">, names: string[]): Promise<void> {
  for (const name of [...new Set(names)].sort()) {
    // ::text: the function returns void, which the driver adapter cannot read.
    await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${name}, 0))::text`;
  }
}
