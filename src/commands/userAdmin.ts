/**
 * Users as operators see them (find a user, their identities) and account deletion, shared by
 * the admin HTTP API, the user's own `DELETE /me` and the operators' CLI.
 *
 * Account deletion (WeChat's review asks for it; PIPL Art. 47, the right to deletion): the user
 * row stays, so the id is never reused and the audit trail keeps pointing at it, but everything
 * that says who the person is goes: identities (openid, unionid), nickname, avatarUrl, phone, the
 * ban reason, the last login time, the IP addresses in their audit events (audit.ts, forgetPerson),
 * and in Redis every session and session_key. A later login by the same person finds no identity
 * and is a new user.
 *
 * Events: user.deleted in the deletion's transaction (its identities' openids and unionids only
 * to endpoints with includeOpenid), then a session.ended per session the Redis script revoked.
 */

import { publicSessionId } from "../../verifier/src/token.js";
import { forgetPerson } from "../audit.js";
import { isMysqlClient } from "../clients/prisma.js";
import { invalidRequest, userNotFound } from "../errors.js";
import * as event from "../events/types.js";
import type { Identity, Restriction, User } from "../generated/prisma/client.js";
import type { Platform } from "../platforms/types.js";
import { identityLockName, lockedTransaction } from "./identityLock.js";
import type { Actor, AdminDeps } from "./sessionAdmin.js";

/** A user with their identities, newest identity last. */
export type UserWithIdentities = User & { identities: Identity[]; restrictions: Restriction[] };

/** At most this many users answer a search. */
export const FIND_LIMIT = 50;

const withIdentities = { identities: { orderBy: { id: "asc" } }, restrictions: { orderBy: { name: "asc" } } } as const;

/**
 * One user and their identities.
 * @throws AppError 404 USER_NOT_FOUND, 503 SERVICE_UNAVAILABLE
 */
export async function showUser(deps: Pick<AdminDeps, "prisma">, userId: number): Promise<UserWithIdentities> {
  const user = await deps.prisma.user.findUnique({ where: { id: userId }, include: withIdentities });
  if (!user) throw userNotFound();
  return user;
}

/** What to find users by: exactly one of them, matched exactly. */
export interface UserQuery {
  openid?: string | undefined;
  unionid?: string | undefined;
  phone?: string | undefined;
}

/**
 * Users by openid (in any app), unionid or phone, exact match, oldest first, at most FIND_LIMIT.
 * @throws AppError 400 INVALID_REQUEST unless exactly one of openid, unionid, phone is given
 *   (1-128 characters), 503 SERVICE_UNAVAILABLE
 */
export async function findUsers(deps: Pick<AdminDeps, "prisma">, query: UserQuery): Promise<UserWithIdentities[]> {
  const given = (["openid", "unionid", "phone"] as const).filter((k) => query[k] !== undefined);
  const [field] = given;
  if (given.length !== 1 || !field) throw invalidRequest("Give exactly one of openid, unionid or phone.");
  const value = query[field] as string;
  if (value.length < 1 || value.length > 128) throw invalidRequest(`${field} must be 1 to 128 characters.`);
  const where = field === "phone" ? { phone: value } : { identities: { some: { [field]: value } } };
  return deps.prisma.user.findMany({ where, include: withIdentities, orderBy: { id: "asc" }, take: FIND_LIMIT });
}

/** A page of users when none is asked for; at most 200. */
export const USER_PAGE = 50;

/** A page of users, newest first. */
export interface UserPage {
  users: UserWithIdentities[];
  /** The `cursor` of the next (older) page, or null when this page is the last. */
  next: string | null;
}

/** What listUsers narrows and pages by; every field optional. */
export interface UserListQuery {
  /** A nickname prefix, case-insensitive. */
  nickname?: string | undefined;
  /** Only users with at least one identity of this platform. */
  platform?: Platform | undefined;
  /** Only users with a smaller id (the previous page's `next`). */
  cursor?: number | undefined;
  /** Page size, 1-200 (default USER_PAGE). */
  limit?: number | undefined;
}

/**
 * Every user, or those whose nickname starts with `nickname` (case-insensitive: operators type
 * what they remember of a name, and `%` and `_` are plain characters), and of those the ones with
 * an identity of `platform` (a deleted account has none left, so is never among them), newest first.
 * @throws whatever Prisma throws (an unreachable database is 503 in the error handler)
 */
export async function listUsers(deps: Pick<AdminDeps, "prisma">, q: UserListQuery): Promise<UserPage> {
  const limit = q.limit ?? USER_PAGE;
  const rows = await deps.prisma.user.findMany({
    where: {
      // Prisma hands startsWith to ILIKE (MySQL: LIKE) as it is: its wildcards (and the escape,
      // a backslash on both) are escaped here. MySQL has no `mode`: the tables' utf8mb4_unicode_ci
      // collation already compares case-insensitively.
      ...(q.nickname !== undefined && {
        nickname: {
          startsWith: q.nickname.replace(/[\\%_]/g, "\\$&"),
          ...(!isMysqlClient(deps.prisma) && { mode: "insensitive" as const }),
        },
      }),
      // A relation filter (a subquery), not a join: a user with two such identities is listed once.
      ...(q.platform !== undefined && { identities: { some: { platform: q.platform } } }),
      ...(q.cursor !== undefined && { id: { lt: q.cursor } }),
    },
    include: withIdentities,
    orderBy: { id: "desc" },
    // One more than asked: whether an older page exists, without a count.
    take: limit + 1,
  });
  const users = rows.slice(0, limit);
  const last = users.at(-1);
  return { users, next: rows.length > limit && last ? String(last.id) : null };
}

/**
 * Deletes an account: every session revoked and every session_key and identity deleted, the
 * profile, ban reason and last login time cleared, the audit events' personal data dropped
 * (forgetPerson), `deletedAt` set; the row, its id and its audit events stay. Deleting a deleted account again
 * does it again (a retry after a 503 finishes the job).
 * Order: the database first (from then on a login of that person is a new user), then one Redis
 * script that revokes, erases and sets the ban marker (a login that resolved this user just
 * before cannot leave a session behind). If Redis fails, the sessions live on until a retry:
 * the caller gets 503 and should retry.
 * @returns the number of sessions revoked
 * @throws AppError 404 USER_NOT_FOUND, 503 SERVICE_UNAVAILABLE
 */
export async function deleteAccount(deps: AdminDeps, userId: number, by: Actor): Promise<number> {
  const found = await lockedTransaction(deps.prisma, async (tx, lock) => {
    const user = await tx.user.findUnique({
      where: { id: userId },
      select: { deletedAt: true, identities: { select: { id: true, platform: true, appid: true, openid: true, unionid: true } } },
    });
    if (!user) return false;
    // The locks a first login linking to this user by unionid takes (identityLock.ts): one that
    // holds them links first and its identity is deleted below; one that waits links after this
    // commits, finds no identity with that unionid, and is a new user. Without them, a login from
    // another app could link its identity here after the delete, and be refused there forever.
    await lock(user.identities.map((i) => identityLockName(i.platform, i.appid, i.openid, i.unionid)));
    const deletedAt = user.deletedAt ?? new Date();
    // The row before the identities: a login linking by a unionid given to one of them after the
    // read above holds this row from recording the login until it commits, so the update waits
    // for it, and the delete after it sees the identity that login linked.
    // last_login_at is NOT NULL: the deletion time says nothing more than deleted_at does.
    await tx.user.update({
      where: { id: userId },
      data: { nickname: null, avatarUrl: null, phone: null, banReason: null, lastLoginAt: deletedAt, deletedAt },
    });
    await tx.identity.deleteMany({ where: { userId } });
    await tx.restriction.deleteMany({ where: { userId } });
    await forgetPerson(tx, userId);
    // A second deletion (a retry after a 503) finishes the job; receivers heard of it the first time.
    if (user.deletedAt === null) await deps.events.record(tx, [event.userDeleted(userId, user.identities)]);
    return true;
  });
  if (!found) throw userNotFound();
  const revoked = await deps.sessions.erase(userId);
  await deps.events.recordAfter(revoked.map((sid) => event.sessionEnded(userId, publicSessionId(userId, sid), "deleted")));
  // Events queued before the erase (a login just before) are written now and forgotten too; after
  // the erase no session of this user can be made, so no login event can follow.
  await deps.audit.flush();
  await forgetPerson(deps.prisma, userId);
  // The user's own IP is theirs, so not kept; an operator's is who acted.
  const ip = by.actor === "user" ? null : by.ip;
  deps.audit.record([{ action: "account_deleted", actor: by.actor, userId, ip, detail: `${revoked.length} session(s) revoked` }]);
  return revoked.length;
}
