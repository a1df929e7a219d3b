/**
 * Login: wx.login code → code2Session (the app's appid and secret) → user by identity → session.
 * Order matters for "nothing half-written": WeChat is asked first, so a failed exchange leaves
 * no user row and no session; the session is created last, so a client never holds a token
 * for a user row that does not exist.
 */
import type { Logger } from "pino";
import type { SessionRecord } from "../../verifier/src/record.js";
import { publicSessionId } from "../../verifier/src/token.js";
import type { AuditLog } from "../audit.js";
import type { PrismaClient } from "../clients/prisma.js";
import type { WechatApp } from "../config/config.js";
import { AppError, userBanned } from "../errors.js";
import type { User } from "../generated/prisma/client.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Sessions } from "../sessions/sessions.js";
import type { WechatClient } from "../wechat/client.js";
import type { WechatSession } from "../wechat/code2Session.js";
import { identityLockName, lockedTransaction } from "./identityLock.js";
import type { LoginReplay } from "./loginReplay.js";
import { updateReturningUser } from "./returningUser.js";

/** Profile fields the mini-program may send with a login (typed in by the user: untrusted). */
export interface LoginProfile {
  /** null clears it. */
  nickname?: string | null | undefined;
  /** null clears it. */
  avatarUrl?: string | null | undefined;
}

export interface LoginInput {
  /** The mini-program logged in from (wechat/apps.ts chooses it). */
  app: WechatApp;
  code: string;
  profile?: LoginProfile | undefined;
  ip: string;
  userAgent: string;
}

export interface LoginResult {
  token: string;
  session: SessionRecord;
  user: User;
  isNewUser: boolean;
  /** True when this answers a retry of an earlier login with the same code (loginReplay.ts). */
  replayed: boolean;
  /** Another user already held this identity's unionid (not merged; audited as unionid_conflict). */
  unionidConflict: boolean;
}

export interface LoginDeps {
  prisma: PrismaClient;
  sessions: Sessions;
  wechat: WechatClient;
  audit: AuditLog;
  log: Logger;
  loginReplay: LoginReplay;
  metrics: Pick<Metrics, "recordLogin" | "unionidConflicts">;
}

// Prisma's error codes: https://www.prisma.io/docs/orm/reference/error-reference
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "P2002";
const isNotFound = (err: unknown) => (err as { code?: string }).code === "P2025";

/** Whose login this is: the user, whether they are new, and a unionid found on another user. */
interface LoginUser {
  user: User;
  isNewUser: boolean;
  /** The other user already holding this identity's unionid (never merged automatically), or null. */
  unionidConflict: number | null;
}

/**
 * The identity rules (one person, one user):
 * - a known identity (appid, openid) → its user;
 * - a new identity whose unionid is on an existing user's identity → linked to that user;
 * - otherwise a new user.
 * A unionid that appears later on a known identity is stored; if it is already another user's,
 * the two users are not merged (business data hangs off user ids): the login goes on as the
 * identity's user and the caller reports the conflict.
 * A refused login (banned) writes nothing. Concurrent first logins of one person, from one app
 * or several, are serialised by a transaction-scoped advisory lock on the unionid (or, without
 * one, on the identity; identityLock.ts, which account deletion takes too), so they give one user; a collision on the identity's unique index that
 * slips past (a unionid WeChat gave one of two racing logins only) is retried once.
 * @throws AppError 403 USER_BANNED
 */
async function loginUser(prisma: PrismaClient, appid: string, wx: WechatSession, profile: LoginProfile | undefined): Promise<LoginUser> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await knownIdentity(prisma, appid, wx, profile)) ?? (await newIdentity(prisma, appid, wx, profile));
    } catch (err) {
      if (attempt > 0 || !isUniqueViolation(err)) throw err;
    }
  }
}

/**
 * What a login writes on the user row: lastLoginAt, and the profile fields sent (null clears).
 * knownIdentity writes the same in its one SQL statement: a change here is a change there.
 */
function loginFields(profile: LoginProfile | undefined) {
  return {
    lastLoginAt: new Date(),
    ...(profile?.nickname !== undefined && { nickname: profile.nickname }),
    ...(profile?.avatarUrl !== undefined && { avatarUrl: profile.avatarUrl }),
  };
}

/**
 * Records a login on the user row (lastLoginAt, the profile sent), only for a user who is neither
 * banned nor deleted: a refused login writes nothing.
 * @throws AppError 403 USER_BANNED
 */
async function recordLogin(db: Pick<PrismaClient, "user">, userId: number, profile: LoginProfile | undefined): Promise<User> {
  try {
    return await db.user.update({ where: { id: userId, bannedAt: null, deletedAt: null }, data: loginFields(profile) });
  } catch (err) {
    if (isNotFound(err)) throw userBanned();
    throw err;
  }
}

/**
 * The common case, a returning user: one statement (returningUser.ts), plus one more the first
 * time WeChat gives a unionid.
 * @returns null when no user was updated: a new identity, or a banned or deleted user's
 */
async function knownIdentity(
  prisma: PrismaClient,
  appid: string,
  wx: WechatSession,
  profile: LoginProfile | undefined,
): Promise<LoginUser | null> {
  const row = await updateReturningUser(prisma, appid, wx.openid, profile?.nickname, profile?.avatarUrl);
  // No row, nothing written: an identity not seen before, one whose first login has not
  // committed yet, or a refused user's. newIdentity tells them apart under its lock (it refuses
  // a banned user there); a second look here, outside that lock, once called a user created by a
  // concurrent first login banned.
  if (!row) return null;
  const { identityId, identityUnionid, ...user } = row;
  let unionidConflict: number | null = null;
  if (wx.unionid && identityUnionid !== wx.unionid) {
    const holder = await prisma.identity.findFirst({
      where: { unionid: wx.unionid, userId: { not: user.id } },
      orderBy: { id: "asc" },
      select: { userId: true },
    });
    unionidConflict = holder?.userId ?? null;
    await prisma.identity.update({ where: { id: identityId }, data: { unionid: wx.unionid } });
  }
  return { user, isNewUser: false, unionidConflict };
}

/**
 * A login knownIdentity could not finish, in one transaction under an advisory lock: a first login
 * from this app (link by unionid, or a new user), one that raced another first login of the same
 * identity (found here once that one committed), or a banned or deleted user's (refused here,
 * nothing written).
 * @throws AppError 403 USER_BANNED
 */
function newIdentity(prisma: PrismaClient, appid: string, wx: WechatSession, profile: LoginProfile | undefined): Promise<LoginUser> {
  return lockedTransaction(prisma, async (tx, lock) => {
    await lock([identityLockName(appid, wx.openid, wx.unionid)]);
    // The identity may have been created by a login that held the lock before us.
    const again = await tx.identity.findUnique({ where: { appid_openid: { appid, openid: wx.openid } }, select: { userId: true } });
    const linked =
      again ??
      (wx.unionid
        ? await tx.identity.findFirst({ where: { unionid: wx.unionid }, orderBy: { id: "asc" }, select: { userId: true } })
        : null);
    if (!linked) {
      const user = await tx.user.create({
        data: { ...loginFields(profile), identities: { create: { appid, openid: wx.openid, unionid: wx.unionid } } },
      });
      return { user, isNewUser: true, unionidConflict: null };
    }
    const user = await recordLogin(tx, linked.userId, profile);
    if (!again) await tx.identity.create({ data: { appid, openid: wx.openid, unionid: wx.unionid, userId: user.id } });
    return { user, isNewUser: false, unionidConflict: null };
  });
}

/**
 * Logs a mini-program user in.
 * @throws AppError from code2Session (401 WECHAT_CODE_INVALID, 403 WECHAT_USER_BLOCKED,
 *   429 RATE_LIMITED, 502 WECHAT_UNAVAILABLE), 403 USER_BANNED, 503 SERVICE_UNAVAILABLE
 */
export async function wechatLogin(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  let result: LoginResult;
  try {
    result = await loginOnce(deps, input);
  } catch (err) {
    deps.metrics.recordLogin(err instanceof AppError ? err.code : "INTERNAL_ERROR");
    throw err;
  }
  deps.metrics.recordLogin(result.replayed ? "replayed" : result.isNewUser ? "new_user" : "returning_user");
  if (result.unionidConflict) deps.metrics.unionidConflicts.inc();
  return result;
}

/** A login, replayed or exchanged (wechatLogin counts its outcome). */
async function loginOnce(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const attempt = await deps.loginReplay.begin(`${input.app.appid}:${input.code}`, { ip: input.ip, userAgent: input.userAgent });
  if (attempt.replayed) {
    const replayed = await replayedLogin(deps, attempt.token, attempt.isNewUser);
    // That session has ended: the code is WeChat's to judge again. A real code is spent (40163,
    // so 401 WECHAT_CODE_INVALID); dev mode's reusable codes log in afresh, as they always did.
    return replayed ?? exchangeCode(deps, input);
  }
  try {
    const result = await exchangeCode(deps, input);
    // Best effort: without it a lost answer costs the client a new wx.login, not this login.
    await attempt.remember(result.token, result.isNewUser).catch((err: unknown) => deps.log.warn({ err }, "login replay not stored"));
    return result;
  } finally {
    await attempt.release().catch(() => {});
  }
}

/**
 * The answer to a retry of a login: the same token and session, while that session lives.
 * @returns null once the session has ended (logout, revoke, ban, expiry)
 */
async function replayedLogin(deps: LoginDeps, token: string, isNewUser: boolean): Promise<LoginResult | null> {
  const session = await deps.sessions.resolve(token);
  const user = session && (await deps.prisma.user.findUnique({ where: { id: session.userId } }));
  return session && user ? { token, session, user, isNewUser, replayed: true, unionidConflict: false } : null;
}

/** code → code2Session → user → session. */
async function exchangeCode(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const wx = await deps.wechat.code2Session(deps.log, input.app, input.code);
  const { user, isNewUser, unionidConflict } = await loginUser(deps.prisma, input.app.appid, wx, input.profile);
  const created = await deps.sessions.create({
    userId: user.id,
    appid: input.app.appid,
    openid: wx.openid,
    unionid: wx.unionid,
    sessionKey: wx.sessionKey,
    ip: input.ip,
    userAgent: input.userAgent,
  });
  deps.audit.record([
    {
      action: "login",
      actor: "user",
      userId: user.id,
      sessionId: publicSessionId(user.id, created.record.sid),
      ip: input.ip,
      appid: input.app.appid,
    },
    ...created.evicted.map((sid) => ({
      action: "eviction" as const,
      actor: "system" as const,
      userId: user.id,
      sessionId: publicSessionId(user.id, sid),
      detail: "over SESSIONS_PER_USER_MAX",
    })),
    ...(unionidConflict === null
      ? []
      : [
          {
            action: "unionid_conflict" as const,
            actor: "system" as const,
            userId: user.id,
            ip: input.ip,
            appid: input.app.appid,
            detail: `this identity's unionid is also user ${unionidConflict}'s; not merged (appid ${input.app.appid})`,
          },
        ]),
  ]);
  return { token: created.token, session: created.record, user, isNewUser, replayed: false, unionidConflict: unionidConflict !== null };
}
