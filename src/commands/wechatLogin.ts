/**
 * Login: wx.login code → code2Session → user upsert → session.
 * Order matters for "nothing half-written": WeChat is asked first, so a failed exchange leaves
 * no user row and no session; the session is created last, so a client never holds a token
 * for a user row that does not exist.
 */
import type { Logger } from "pino";
import type { AuditLog } from "../audit.js";
import type { PrismaClient } from "../clients/prisma.js";
import type { WechatClient } from "../clients/wechat.js";
import { userBanned } from "../errors.js";
import type { User } from "../generated/prisma/client.js";
import type { SessionRecord } from "../sessions/record.js";
import type { Sessions } from "../sessions/sessions.js";
import { publicSessionId } from "../sessions/token.js";
import { storage } from "../storage.js";
import type { WechatSession } from "../wechat/code2Session.js";
import type { LoginReplay } from "./loginReplay.js";

/** Profile fields the mini-program may send with a login (typed in by the user: untrusted). */
export interface LoginProfile {
  /** null clears it. */
  nickname?: string | null | undefined;
  /** null clears it. */
  avatarUrl?: string | null | undefined;
}

export interface LoginInput {
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
}

export interface LoginDeps {
  prisma: PrismaClient;
  sessions: Sessions;
  wechat: WechatClient;
  audit: AuditLog;
  log: Logger;
  loginReplay: LoginReplay;
}

// Prisma's error codes: https://www.prisma.io/docs/orm/reference/error-reference
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "P2002";
const isNotFound = (err: unknown) => (err as { code?: string }).code === "P2025";

/**
 * Creates the user on first login, else records the login. Concurrent first logins of one
 * openid race on the unique index: exactly one INSERT wins, the others update that row.
 */
async function upsertUser(
  prisma: PrismaClient,
  wx: WechatSession,
  profile: LoginProfile | undefined,
): Promise<{ user: User; isNewUser: boolean }> {
  const now = new Date();
  const fields = {
    ...(profile?.nickname !== undefined && { nickname: profile.nickname }),
    ...(profile?.avatarUrl !== undefined && { avatarUrl: profile.avatarUrl }),
  };
  // A returning user (the common case) costs one statement, UPDATE ... RETURNING; an update by
  // the unique openid was the cheapest Prisma call for it (328 µs of CPU per call against 470 µs
  // for updateManyAndReturn and 625 µs for findUnique + update, measured here).
  // The update matches only a user who is not banned: a refused login writes nothing (no profile,
  // no lastLoginAt), whatever it carried.
  const update = () =>
    prisma.user.update({
      where: { openid: wx.openid, bannedAt: null },
      data: { lastLoginAt: now, ...(wx.unionid && { unionid: wx.unionid }), ...fields },
    });
  try {
    return { user: await update(), isNewUser: false };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  // No such row: a new user, a banned one, or a first login racing another.
  try {
    const user = await prisma.user.create({ data: { openid: wx.openid, unionid: wx.unionid, lastLoginAt: now, ...fields } });
    return { user, isNewUser: true };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  try {
    return { user: await update(), isNewUser: false };
  } catch (err) {
    // The row exists (the insert collided with it) and the update refused it: banned.
    if (isNotFound(err)) throw userBanned();
    throw err;
  }
}

/**
 * Logs a mini-program user in.
 * @throws AppError from code2Session (401 WECHAT_CODE_INVALID, 403 WECHAT_USER_BLOCKED,
 *   429 RATE_LIMITED, 502 WECHAT_UNAVAILABLE), 403 USER_BANNED, 503 SERVICE_UNAVAILABLE
 */
export async function wechatLogin(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const attempt = await deps.loginReplay.begin(input.code);
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
  const session = await storage(() => deps.sessions.resolve(token));
  const user = session && (await storage(() => deps.prisma.user.findUnique({ where: { id: session.userId } })));
  return session && user ? { token, session, user, isNewUser, replayed: true } : null;
}

/** code → code2Session → user → session. */
async function exchangeCode(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const wx = await deps.wechat.code2Session(deps.log, input.code);
  const { user, isNewUser } = await storage(() => upsertUser(deps.prisma, wx, input.profile));
  if (user.bannedAt) throw userBanned();
  const created = await storage(() =>
    deps.sessions.create({
      userId: user.id,
      openid: wx.openid,
      unionid: wx.unionid,
      sessionKey: wx.sessionKey,
      ip: input.ip,
      userAgent: input.userAgent,
    }),
  );
  deps.audit.record([
    { action: "login", actor: "user", userId: user.id, sessionId: publicSessionId(user.id, created.record.sid), ip: input.ip },
    ...created.evicted.map((sid) => ({
      action: "eviction" as const,
      actor: "system" as const,
      userId: user.id,
      sessionId: publicSessionId(user.id, sid),
      detail: "over SESSIONS_PER_USER_MAX",
    })),
  ]);
  return { token: created.token, session: created.record, user, isNewUser, replayed: false };
}
