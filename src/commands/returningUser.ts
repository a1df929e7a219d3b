/**
 * The one raw SQL statement of a login, the returning user's: record the login on the user found
 * by the identity's unique index (appid, openid), only when neither banned nor deleted, and read
 * the user, the identity and the user's active restrictions back (the session carries them). Raw SQL because Prisma's API needs two statements here (the
 * identity, then the user), which cost 2.6 times this one's client CPU per login, measured side
 * by side, and logins are CPU-bound in the server (docs/performance.md, "Logins").
 */

import type { Restriction } from "../../verifier/src/restrictions.js";
import { isMysqlClient, type PrismaClient } from "../clients/prisma.js";
import type { User } from "../generated/prisma/client.js";

/**
 * The user row, the identity's id and unionid, and the user's restrictions in force, as the
 * statement gives them: `name until,name until` ordered by name, `until` in epoch milliseconds
 * or empty for none; null when there are none (restrictionsOf decodes it). Names are
 * `[a-z][a-z0-9_-]{0,31}` (RESTRICTION_NAME), so neither separator occurs in one.
 */
export type ReturningUserRow = User & { identityId: number; identityUnionid: string | null; restrictions: string | null };

/** The restrictions of a ReturningUserRow, as activeRestrictionsOf (restrictions.ts) reads them. */
export function restrictionsOf(encoded: string | null): Restriction[] {
  if (!encoded) return [];
  return encoded.split(",").map((item) => {
    const [name, until] = item.split(" ");
    return { name: name as string, until: until ? Number(until) : null };
  });
}

/**
 * Records a returning user's login: last_login_at, updated_at, and the profile fields sent
 * (`undefined` leaves one as it is, null clears it).
 * @returns the updated user with its identity; undefined when nothing was updated (no such
 *   identity, or a banned or deleted user's)
 */
export async function updateReturningUser(
  prisma: PrismaClient,
  appid: string,
  openid: string,
  nickname: string | null | undefined,
  avatarUrl: string | null | undefined,
): Promise<ReturningUserRow | undefined> {
  const setNickname = nickname !== undefined;
  const setAvatarUrl = avatarUrl !== undefined;
  // A ban with an end that has passed no longer refuses the login, which clears it.
  const now = new Date();
  if (isMysqlClient(prisma)) return updateReturningUserMysql(prisma, appid, openid, nickname, avatarUrl, now);
  const [row] = await prisma.$queryRaw<ReturningUserRow[]>`
    UPDATE users AS u SET
      last_login_at = now(),
      updated_at = now(),
      banned_at = NULL,
      banned_until = NULL,
      ban_reason = CASE WHEN u.banned_at IS NULL THEN u.ban_reason END,
      nickname = CASE WHEN ${setNickname} THEN ${nickname ?? null}::varchar ELSE u.nickname END,
      avatar_url = CASE WHEN ${setAvatarUrl} THEN ${avatarUrl ?? null}::varchar ELSE u.avatar_url END
    FROM identities AS i
    WHERE i.appid = ${appid} AND i.openid = ${openid} AND u.id = i.user_id
      AND (u.banned_at IS NULL OR u.banned_until <= ${now}) AND u.deleted_at IS NULL
    RETURNING u.id, u.nickname, u.avatar_url AS "avatarUrl", u.phone, u.created_at AS "createdAt",
      u.updated_at AS "updatedAt", u.last_login_at AS "lastLoginAt", u.banned_at AS "bannedAt",
      u.banned_until AS "bannedUntil", u.ban_reason AS "banReason", u.deleted_at AS "deletedAt",
      i.id AS "identityId", i.unionid AS "identityUnionid",
      (SELECT string_agg(r.name || ' ' || coalesce(round(extract(epoch FROM r.until) * 1000)::bigint::text, ''), ',' ORDER BY r.name)
        FROM restrictions AS r WHERE r.user_id = u.id AND (r.until IS NULL OR r.until > ${now})) AS "restrictions"`;
  return row;
}

/**
 * MySQL and MariaDB have no UPDATE ... RETURNING (MariaDB's RETURNING is for INSERT and DELETE
 * only, and not on a multi-table UPDATE). The replacement: the same UPDATE, joined to identities,
 * then a SELECT of the row, in one transaction sent as one batch. The UPDATE holds the user's row
 * lock until the commit, so a ban or a deletion landing between the two waits, and the SELECT
 * reads exactly the row this login wrote; a count of 0 means nothing was written.
 */
async function updateReturningUserMysql(
  prisma: PrismaClient,
  appid: string,
  openid: string,
  nickname: string | null | undefined,
  avatarUrl: string | null | undefined,
  now: Date,
): Promise<ReturningUserRow | undefined> {
  const [updated, rows] = await prisma.$transaction([
    prisma.$executeRaw`
      UPDATE users AS u JOIN identities AS i ON u.id = i.user_id SET
        u.last_login_at = NOW(3),
        u.updated_at = NOW(3),
        u.ban_reason = CASE WHEN u.banned_at IS NULL THEN u.ban_reason END,
        u.banned_at = NULL,
        u.banned_until = NULL,
        u.nickname = CASE WHEN ${nickname !== undefined} THEN ${nickname ?? null} ELSE u.nickname END,
        u.avatar_url = CASE WHEN ${avatarUrl !== undefined} THEN ${avatarUrl ?? null} ELSE u.avatar_url END
      WHERE i.appid = ${appid} AND i.openid = ${openid}
        AND (u.banned_at IS NULL OR u.banned_until <= ${now}) AND u.deleted_at IS NULL`,
    prisma.$queryRaw<ReturningUserRow[]>`
      SELECT u.id, u.nickname, u.avatar_url AS avatarUrl, u.phone, u.created_at AS createdAt,
        u.updated_at AS updatedAt, u.last_login_at AS lastLoginAt, u.banned_at AS bannedAt,
        u.banned_until AS bannedUntil, u.ban_reason AS banReason, u.deleted_at AS deletedAt,
        i.id AS identityId, i.unionid AS identityUnionid,
        (SELECT GROUP_CONCAT(CONCAT(r.name, ' ', COALESCE(CAST(ROUND(UNIX_TIMESTAMP(r.until) * 1000) AS CHAR), '')) ORDER BY r.name SEPARATOR ',')
          FROM restrictions AS r WHERE r.user_id = u.id AND (r.until IS NULL OR r.until > ${now})) AS restrictions
      FROM identities AS i JOIN users AS u ON u.id = i.user_id
      WHERE i.appid = ${appid} AND i.openid = ${openid}`,
  ]);
  return updated > 0 ? rows[0] : undefined;
}
