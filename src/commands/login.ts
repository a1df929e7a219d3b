/**
 * Login on any platform: login code → the platform's exchange (code2Session for WeChat:
 * src/platforms/exchange.ts) → user by identity → session.
 * Order matters for "nothing half-written": WeChat is asked first, so a failed exchange leaves
 * no user row and no session; the session is created last, so a client never holds a token
 * for a user row that does not exist.
 */
import type { Logger } from "pino";
import type { SessionRecord } from "../../verifier/src/record.js";
import type { Restriction as StoredRestriction } from "../../verifier/src/restrictions.js";
import { publicSessionId } from "../../verifier/src/token.js";
import type { AuditLog } from "../audit.js";
import type { PrismaClient } from "../clients/prisma.js";
import { AppError, loginCodeInvalid, tooManySessions, userBanned, wechatCodeInvalid } from "../errors.js";
import type { Events } from "../events/events.js";
import * as event from "../events/types.js";
import type { User } from "../generated/prisma/client.js";
import type { Metrics } from "../metrics/metrics.js";
import type { PlatformExchange } from "../platforms/exchange.js";
import { type App, type CodeSession, type Platform, platformsSharingUnionid } from "../platforms/types.js";
import type { Sessions } from "../sessions/sessions.js";
import { identityLockName, lockedTransaction } from "./identityLock.js";
import type { LoginReplay } from "./loginReplay.js";
import { activeRestrictionsOf } from "./restrictions.js";
import { restrictionsOf, updateReturningUser } from "./returningUser.js";

/** Profile fields the mini-program may send with a login (typed in by the user: untrusted). */
export interface LoginProfile {
  /** null clears it. */
  nickname?: string | null | undefined;
  /** null clears it. */
  avatarUrl?: string | null | undefined;
}

export interface LoginInput {
  /** The mini-program logged in from (platforms/apps.ts chooses it). */
  app: App;
  code: string;
  /**
   * The platform's answer, when the caller exchanged the code itself (a web login: webLogin.ts);
   * such a login skips the replay window (its state is single use already).
   */
  exchanged?: CodeSession | undefined;
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
  platforms: PlatformExchange;
  audit: AuditLog;
  /** The webhook outbox: user.created, identity.linked, unionid.conflict, session.created, session.ended. */
  events: Events;
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
  /** The user's restrictions in force, when the login read them already (a returning user's). */
  restrictions?: StoredRestriction[];
  isNewUser: boolean;
  /** The other user already holding this identity's unionid (never merged automatically), or null. */
  unionidConflict: number | null;
}

/** The app an identity is of: its appid and platform. */
type IdentityApp = Pick<App, "appid" | "platform">;

/** The identity a login came with, as events describe it. */
const identityOf = (app: IdentityApp, wx: CodeSession): event.EventIdentity => ({
  platform: app.platform,
  appid: app.appid,
  openid: wx.openid,
  unionid: wx.unionid ?? null,
});

/** The identities a unionid of this app links to: those of the platforms sharing its unionids. */
const unionidMatch = (app: IdentityApp, unionid: string) => ({ unionid, platform: { in: platformsSharingUnionid(app.platform) } });

/**
 * The identity rules (one person, one user):
 * - a known identity (appid, openid) → its user (an appid names one platform);
 * - a new identity whose unionid is on an existing user's identity of the same union scope
 *   (platforms/types.ts: a WeChat unionid never matches a Douyin one) → linked to that user;
 * - otherwise a new user.
 * A unionid that appears later on a known identity is stored; if it is already another user's,
 * the two users are not merged (business data hangs off user ids): the login goes on as the
 * identity's user and the caller reports the conflict.
 * A refused login (banned) writes nothing. Concurrent first logins of one person, from one app
 * or several, are serialised by a transaction-scoped advisory lock on the unionid (or, without
 * one, on the identity; identityLock.ts, which account deletion takes too), so they give one user; a collision on the identity's unique index that
 * slips past (a unionid WeChat gave one of two racing logins only) is retried once.
 * Events (user.created, identity.linked, unionid.conflict) are recorded in the transaction of the
 * write they report.
 * @throws AppError 403 USER_BANNED
 */
async function loginUser(
  prisma: PrismaClient,
  events: Events,
  app: IdentityApp,
  wx: CodeSession,
  profile: LoginProfile | undefined,
): Promise<LoginUser> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await knownIdentity(prisma, events, app, wx, profile)) ?? (await newIdentity(prisma, events, app, wx, profile));
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
 * banned nor deleted: a refused login writes nothing. A ban whose end has passed no longer
 * refuses, and is cleared (as returningUser.ts does).
 * @throws AppError 403 USER_BANNED (with bannedUntil for a ban with an end)
 */
async function recordLogin(db: Pick<PrismaClient, "user">, userId: number, profile: LoginProfile | undefined): Promise<User> {
  const now = new Date();
  try {
    return await db.user.update({
      where: { id: userId, deletedAt: null, OR: [{ bannedAt: null }, { bannedUntil: { lte: now } }] },
      data: { ...loginFields(profile), bannedAt: null, bannedUntil: null, banReason: null },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const user = await db.user.findUnique({ where: { id: userId }, select: { bannedUntil: true } });
    throw userBanned(user?.bannedUntil ?? null);
  }
}

/**
 * The common case, a returning user: one statement (returningUser.ts), plus one more the first
 * time WeChat gives a unionid.
 * @returns null when no user was updated: a new identity, or a banned or deleted user's
 */
async function knownIdentity(
  prisma: PrismaClient,
  events: Events,
  app: IdentityApp,
  wx: CodeSession,
  profile: LoginProfile | undefined,
): Promise<LoginUser | null> {
  const row = await updateReturningUser(prisma, app.appid, wx.openid, profile?.nickname, profile?.avatarUrl);
  // No row, nothing written: an identity not seen before, one whose first login has not
  // committed yet, or a refused user's. newIdentity tells them apart under its lock (it refuses
  // a banned user there); a second look here, outside that lock, once called a user created by a
  // concurrent first login banned.
  if (!row) return null;
  const { identityId, identityUnionid, restrictions, ...user } = row;
  let unionidConflict: number | null = null;
  if (wx.unionid && identityUnionid !== wx.unionid) {
    const holder = await prisma.identity.findFirst({
      where: { ...unionidMatch(app, wx.unionid), userId: { not: user.id } },
      orderBy: { id: "asc" },
      select: { userId: true },
    });
    unionidConflict = holder?.userId ?? null;
    const conflict = unionidConflict;
    await prisma.$transaction(async (tx) => {
      await tx.identity.update({ where: { id: identityId }, data: { unionid: wx.unionid } });
      if (conflict !== null) await events.record(tx, [event.unionidConflict(user.id, conflict, identityOf(app, wx))]);
    });
  }
  return { user, restrictions: restrictionsOf(restrictions), isNewUser: false, unionidConflict };
}

/**
 * A login knownIdentity could not finish, in one transaction under an advisory lock: a first login
 * from this app (link by unionid, or a new user), one that raced another first login of the same
 * identity (found here once that one committed), or a banned or deleted user's (refused here,
 * nothing written).
 * @throws AppError 403 USER_BANNED
 */
function newIdentity(
  prisma: PrismaClient,
  events: Events,
  app: IdentityApp,
  wx: CodeSession,
  profile: LoginProfile | undefined,
): Promise<LoginUser> {
  const { appid, platform } = app;
  return lockedTransaction(prisma, async (tx, lock) => {
    await lock([identityLockName(platform, appid, wx.openid, wx.unionid)]);
    // The identity may have been created by a login that held the lock before us.
    const again = await tx.identity.findUnique({ where: { appid_openid: { appid, openid: wx.openid } }, select: { userId: true } });
    const linked =
      again ??
      (wx.unionid
        ? await tx.identity.findFirst({ where: unionidMatch(app, wx.unionid), orderBy: { id: "asc" }, select: { userId: true } })
        : null);
    if (!linked) {
      const user = await tx.user.create({
        data: { ...loginFields(profile), identities: { create: { platform, appid, openid: wx.openid, unionid: wx.unionid } } },
      });
      await events.record(tx, [event.userCreated(user.id, identityOf(app, wx))]);
      return { user, isNewUser: true, unionidConflict: null };
    }
    const user = await recordLogin(tx, linked.userId, profile);
    if (!again) {
      // A first login from this app, linked by unionid to the user of another: a new identity.
      const identity = await tx.identity.create({ data: { platform, appid, openid: wx.openid, unionid: wx.unionid, userId: user.id } });
      await events.record(tx, [event.identityLinked(user.id, { ...identityOf(app, wx), id: identity.id })]);
    }
    return { user, isNewUser: false, unionidConflict: null };
  });
}

/**
 * Logs a mini-program user in, on the app's platform.
 * @throws AppError from the exchange (WeChat: 401 WECHAT_CODE_INVALID, 403 WECHAT_USER_BLOCKED,
 *   429 RATE_LIMITED, 502 WECHAT_UNAVAILABLE; other platforms: 401 LOGIN_CODE_INVALID, 502
 *   PLATFORM_UNAVAILABLE), 403 USER_BANNED, 503 SERVICE_UNAVAILABLE
 */
export async function login(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const platform: Platform = input.app.platform;
  const started = performance.now();
  let result: LoginResult;
  try {
    result = await loginOnce(deps, input);
  } catch (err) {
    deps.metrics.recordLogin(platform, err instanceof AppError ? err.code : "INTERNAL_ERROR", performance.now() - started);
    throw err;
  }
  const outcome = result.replayed ? "replayed" : result.isNewUser ? "new_user" : "returning_user";
  deps.metrics.recordLogin(platform, outcome, performance.now() - started);
  if (result.unionidConflict) deps.metrics.unionidConflicts.inc();
  return result;
}

/** A login, replayed or exchanged (login counts its outcome). */
async function loginOnce(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  if (input.exchanged) return exchangeCode(deps, input);
  const { platform } = input.app;
  const spent = platform === "wechat" ? wechatCodeInvalid : () => loginCodeInvalid(platform);
  const attempt = await deps.loginReplay.begin(`${input.app.appid}:${input.code}`, { ip: input.ip, userAgent: input.userAgent }, spent);
  if (attempt.replayed) {
    const replayed = await replayedLogin(deps, attempt.token, attempt.isNewUser);
    // That session has ended: the code is the platform's to judge again. A real code is spent
    // (WeChat: 40163, so 401 WECHAT_CODE_INVALID); dev mode's reusable codes log in afresh.
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

/**
 * SESSIONS_PER_USER_OVERFLOW=refuse-new: refuses, before anything is written, a login of a user
 * who already holds SESSIONS_PER_USER_MAX sessions that this login would not replace. The create
 * script checks again atomically (create.lua), for logins racing this look.
 * @throws AppError 409 TOO_MANY_SESSIONS
 */
async function refuseWhenFull(deps: LoginDeps, app: App, wx: CodeSession): Promise<void> {
  const identity =
    (await deps.prisma.identity.findUnique({
      where: { appid_openid: { appid: app.appid, openid: wx.openid } },
      select: { userId: true },
    })) ??
    (wx.unionid
      ? await deps.prisma.identity.findFirst({ where: unionidMatch(app, wx.unionid), orderBy: { id: "asc" }, select: { userId: true } })
      : null);
  if (!identity) return;
  const concurrency = app.concurrency ?? deps.sessions.policy.concurrency ?? "multi";
  if (concurrency === "single") return;
  const live = await deps.sessions.list(identity.userId);
  const kept = concurrency === "single-per-app" ? live.filter((s) => s.appid !== app.appid) : live;
  if (kept.length >= deps.sessions.policy.maxPerUser) throw tooManySessions(deps.sessions.policy.maxPerUser);
}

/** code → the platform's exchange → user → session. */
async function exchangeCode(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const wx = input.exchanged ?? (await deps.platforms.exchange(deps.log, input.app, input.code));
  if (deps.sessions.policy.overflow === "refuse-new") await refuseWhenFull(deps, input.app, wx);
  const { user, restrictions, isNewUser, unionidConflict } = await loginUser(deps.prisma, deps.events, input.app, wx, input.profile);
  const created = await deps.sessions.create({
    userId: user.id,
    appid: input.app.appid,
    platform: input.app.platform,
    openid: wx.openid,
    unionid: wx.unionid,
    sessionKey: wx.sessionKey,
    ip: input.ip,
    userAgent: input.userAgent,
    concurrency: input.app.concurrency,
    restrictions: restrictions ?? (await activeRestrictionsOf(deps.prisma, user.id)),
  });
  // Redis-only changes: recorded right after them (events.ts says what a crash between can lose).
  await deps.events.recordAfter([
    event.sessionCreated(user.id, publicSessionId(user.id, created.record.sid), identityOf(input.app, wx)),
    ...created.evicted.map((sid) => event.sessionEnded(user.id, publicSessionId(user.id, sid), "replaced")),
  ]);
  deps.audit.record([
    {
      action: "login",
      actor: "user",
      userId: user.id,
      sessionId: publicSessionId(user.id, created.record.sid),
      ip: input.ip,
      appid: input.app.appid,
    },
    ...created.replaced.map((sid) => ({
      action: "eviction" as const,
      actor: "system" as const,
      userId: user.id,
      sessionId: publicSessionId(user.id, sid),
      detail: "replaced by a newer login (SESSION_CONCURRENCY)",
    })),
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
