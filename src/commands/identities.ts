/**
 * Binding: one person's accounts on several platforms made one user, by the person's own act.
 * Platforms share no id (a WeChat unionid never matches a Douyin one), so a signed-in user proves
 * they also hold an account elsewhere by sending a fresh login code of that app; tongxing
 * exchanges it and adds the identity to the user. Never a merge: an identity (or a unionid)
 * that is already another user's stays theirs, since business data hangs off user ids.
 *
 * Both operations run in one transaction under the identity locks first logins and account
 * deletion take (identityLock.ts), plus one per user, so a bind cannot race a first login of the
 * same identity into two users, and two unbinds cannot leave a user with none.
 */
import type { Logger } from "pino";
import { publicSessionId } from "../../verifier/src/token.js";
import type { AuditLog } from "../audit.js";
import type { PrismaClient } from "../clients/prisma.js";
import { identityNotFound, identityTaken, lastIdentity } from "../errors.js";
import type { Events } from "../events/events.js";
import * as event from "../events/types.js";
import type { Identity } from "../generated/prisma/client.js";
import type { Apps } from "../platforms/apps.js";
import type { PlatformExchange } from "../platforms/exchange.js";
import { platformsSharingUnionid } from "../platforms/types.js";
import type { Sessions } from "../sessions/sessions.js";
import { identityLockName, lockedTransaction } from "./identityLock.js";

export interface IdentityDeps {
  prisma: PrismaClient;
  apps: Apps;
  platforms: PlatformExchange;
  sessions: Sessions;
  audit: AuditLog;
  /** identity.linked and identity.unlinked in the transaction; session.ended right after. */
  events: Events;
}

/** The lock that keeps a user's identity count right while one is added or removed. */
const userLock = (userId: number) => `user:${userId}`;

/** A user's identities, oldest first. */
export function listIdentities(prisma: PrismaClient, userId: number): Promise<Identity[]> {
  return prisma.identity.findMany({ where: { userId }, orderBy: { id: "asc" } });
}

/**
 * Adds the identity behind a login code of `appid` to the user.
 * @returns the identity, and whether it was added now (false: it was the user's already)
 * @throws AppError 400 APP_UNKNOWN; the exchange's errors (401 WECHAT_CODE_INVALID or
 *   LOGIN_CODE_INVALID, 502 ...); 409 IDENTITY_TAKEN when the identity, or its unionid within
 *   its union scope, is another user's; 503
 */
export async function bindIdentity(
  deps: IdentityDeps,
  log: Logger,
  userId: number,
  input: { appid: string; code: string; ip: string },
): Promise<{ identity: Identity; created: boolean }> {
  const app = deps.apps.resolve(input.appid, "name the app with appid");
  const { platform, appid } = app;
  const ids = await deps.platforms.exchange(log, app, input.code);
  const result = await lockedTransaction(deps.prisma, async (tx, lock) => {
    await lock([identityLockName(platform, appid, ids.openid, ids.unionid), userLock(userId)]);
    const existing = await tx.identity.findUnique({ where: { appid_openid: { appid, openid: ids.openid } } });
    if (existing) {
      if (existing.userId !== userId) throw identityTaken();
      return { identity: existing, created: false };
    }
    if (ids.unionid) {
      const holder = await tx.identity.findFirst({
        where: { unionid: ids.unionid, platform: { in: platformsSharingUnionid(platform) }, userId: { not: userId } },
        select: { id: true },
      });
      if (holder) throw identityTaken();
    }
    const identity = await tx.identity.create({ data: { platform, appid, openid: ids.openid, unionid: ids.unionid, userId } });
    await deps.events.record(tx, [event.identityLinked(userId, identity)]);
    return { identity, created: true };
  });
  if (result.created) {
    deps.audit.record([
      { action: "identity_linked", actor: "user", userId, ip: input.ip, appid, detail: `${platform} identity ${result.identity.id}` },
    ]);
  }
  return result;
}

/**
 * Removes one of the user's identities and ends the sessions logged in through it (that app's).
 * The app's openid stays in the user's Redis hash until the key expires or the next login from
 * that app replaces it; no session of that app is left to read it.
 * @throws AppError 404 IDENTITY_NOT_FOUND (not the user's: others' ids cannot be probed), 409
 *   LAST_IDENTITY, 503
 */
export async function unbindIdentity(deps: IdentityDeps, userId: number, identityId: number, ip: string): Promise<void> {
  const found = await deps.prisma.identity.findFirst({ where: { id: identityId, userId } });
  if (!found) throw identityNotFound();
  const removed = await lockedTransaction(deps.prisma, async (tx, lock) => {
    await lock([identityLockName(found.platform, found.appid, found.openid, found.unionid), userLock(userId)]);
    const identity = await tx.identity.findFirst({ where: { id: identityId, userId } });
    if (!identity) throw identityNotFound();
    if ((await tx.identity.count({ where: { userId } })) <= 1) throw lastIdentity();
    await tx.identity.delete({ where: { id: identityId } });
    await deps.events.record(tx, [event.identityUnlinked(userId, identity)]);
    return identity;
  });
  // After the row is gone: a login from that app now makes a new user, so no new session of
  // this user can appear through the identity once these are ended.
  const sessions = await deps.sessions.list(userId);
  const ended: string[] = [];
  for (const s of sessions) {
    if (s.appid === removed.appid && (await deps.sessions.revoke(userId, s.sid))) ended.push(s.sid);
  }
  await deps.events.recordAfter(ended.map((sid) => event.sessionEnded(userId, publicSessionId(userId, sid), "revoked")));
  deps.audit.record([
    { action: "identity_unlinked", actor: "user", userId, ip, appid: removed.appid, detail: `${removed.platform} identity ${removed.id}` },
    ...ended.map((sid) => ({
      action: "revoke" as const,
      actor: "system" as const,
      userId,
      sessionId: publicSessionId(userId, sid),
      appid: removed.appid,
      detail: "its identity was unbound",
    })),
  ]);
}
