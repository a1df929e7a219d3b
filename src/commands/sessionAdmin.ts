/**
 * Operations on sessions and bans, shared by the admin HTTP API, the user's own session routes
 * and the operators' CLI, so all three give the same results and write the same audit trail.
 *
 * Ban order (so that no session survives a ban, even one racing it): first the database flag
 * (new logins are refused from here on), then one Redis script that sets the ban marker and
 * revokes every session; a login that passed the database check just before still fails, as
 * the session-create script refuses a user with the marker, and the marker is also read on
 * every request.
 *
 * Events (src/events/): a ban's and an unban's are recorded in the transaction that writes the
 * user's flag, with a session.ended per session the ban revoked; a revocation's or a logout's,
 * which change Redis only, right after it.
 */
import type { Logger } from "pino";
import type { ListedSession, SessionRecord } from "../../verifier/src/record.js";
import { parsePublicSessionId, publicSessionId } from "../../verifier/src/token.js";
import type { AuditActor, AuditLog } from "../audit.js";
import type { PrismaClient } from "../clients/prisma.js";
import { sessionNotFound, userNotFound } from "../errors.js";
import type { Events } from "../events/events.js";
import * as event from "../events/types.js";
import type { User } from "../generated/prisma/client.js";
import type { Sessions } from "../sessions/sessions.js";

export interface AdminDeps {
  prisma: PrismaClient;
  sessions: Sessions;
  audit: AuditLog;
  /** The webhook outbox (src/events/). */
  events: Events;
  log: Logger;
}

/** Who is acting, for the audit trail. */
export interface Actor {
  actor: AuditActor;
  ip?: string | null;
}

/** @throws AppError 404 USER_NOT_FOUND, 503 SERVICE_UNAVAILABLE */
async function requireUser(deps: AdminDeps, userId: number): Promise<User> {
  const user = await deps.prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw userNotFound();
  return user;
}

/**
 * A user's live sessions, newest first.
 * @throws AppError 404 USER_NOT_FOUND, 503 SERVICE_UNAVAILABLE
 */
export async function listUserSessions(deps: AdminDeps, userId: number): Promise<ListedSession[]> {
  await requireUser(deps, userId);
  return deps.sessions.list(userId);
}

/**
 * Revokes one session by its public id. `ownerId`, when given, must own it (a user revoking
 * their own session); otherwise it is SESSION_NOT_FOUND, so ids of others' sessions can't be probed.
 * @throws AppError 404 SESSION_NOT_FOUND, 503 SERVICE_UNAVAILABLE
 */
export async function revokeSession(deps: AdminDeps, sessionId: string, by: Actor, ownerId?: number): Promise<void> {
  const parsed = parsePublicSessionId(sessionId);
  if (!parsed || (ownerId !== undefined && parsed.userId !== ownerId)) throw sessionNotFound();
  const revoked = await deps.sessions.revoke(parsed.userId, parsed.sid);
  if (!revoked) throw sessionNotFound();
  await deps.events.recordAfter([event.sessionEnded(parsed.userId, publicSessionId(parsed.userId, parsed.sid), "revoked")]);
  deps.audit.record([{ action: "revoke", actor: by.actor, userId: parsed.userId, sessionId, ip: by.ip }]);
}

/**
 * Revokes every session of a user, or every one but `exceptSid` (log out other devices).
 * @param checkUser - look the user up first (admin and CLI: 404 for an unknown user)
 * @returns how many sessions were revoked
 */
export async function revokeAllSessions(
  deps: AdminDeps,
  userId: number,
  by: Actor,
  exceptSid: string | null = null,
  checkUser = true,
): Promise<number> {
  if (checkUser) await requireUser(deps, userId);
  const revoked = await deps.sessions.revokeAll(userId, exceptSid);
  await deps.events.recordAfter(revoked.map((sid) => event.sessionEnded(userId, publicSessionId(userId, sid), "revoked")));
  deps.audit.record([{ action: "revoke_all", actor: by.actor, userId, ip: by.ip, detail: `revoked ${revoked.length}` }]);
  return revoked.length;
}

/** What a ban or unban answers. */
export interface BanResult {
  userId: number;
  banned: boolean;
  bannedAt: string | null;
  /** When the ban lifts itself (ISO 8601), or null: until an operator lifts it. */
  bannedUntil: string | null;
  reason: string | null;
  /** Sessions revoked by a ban (0 for unban). */
  revoked: number;
}

/**
 * Bans a user: refuses their logins and revokes every session; with `until`, only until then
 * (the ban then lifts itself: the next login works and clears it).
 * @param until - a future time, or null for a ban an operator lifts
 * @throws AppError 404 USER_NOT_FOUND, 503 SERVICE_UNAVAILABLE
 */
export async function banUser(
  deps: AdminDeps,
  userId: number,
  reason: string | null,
  by: Actor,
  until: Date | null = null,
): Promise<BanResult> {
  const before = await requireUser(deps, userId);
  // All or nothing as seen after an outage: Redis first (ban marker and every session revoked in
  // one script), so a Redis failure leaves nothing written; if the database then fails, the
  // marker is lifted again (the revoked sessions stay revoked: their owner logs in again).
  const revoked = await deps.sessions.ban(userId, reason, until?.getTime() ?? null);
  let user: Awaited<ReturnType<typeof deps.prisma.user.update>>;
  try {
    user = await deps.prisma.$transaction(async (tx) => {
      // A ban without a reason (a re-ban, say) keeps the reason already stored.
      const banned = await tx.user.update({
        where: { id: userId },
        data: { bannedAt: new Date(), bannedUntil: until, ...(reason !== null && { banReason: reason }) },
      });
      await deps.events.record(tx, [
        // A re-ban (a new reason, say) is no news to receivers; the sessions it ended are.
        ...(before.bannedAt === null ? [event.userBanned(userId)] : []),
        ...revoked.map((sid) => event.sessionEnded(userId, publicSessionId(userId, sid), "banned")),
      ]);
      return banned;
    });
  } catch (err) {
    await deps.sessions.unban(userId).catch(() => {});
    throw err;
  }
  const detail = until ? `until ${until.toISOString()}${reason === null ? "" : `: ${reason}`}` : reason;
  deps.audit.record([{ action: "ban", actor: by.actor, userId, ip: by.ip, detail: detail?.slice(0, 500) ?? null }]);
  return {
    userId,
    banned: true,
    bannedAt: user.bannedAt?.toISOString() ?? null,
    bannedUntil: user.bannedUntil?.toISOString() ?? null,
    reason: user.banReason,
    revoked: revoked.length,
  };
}

/**
 * Lifts a ban.
 * @throws AppError 404 USER_NOT_FOUND, 503 SERVICE_UNAVAILABLE
 */
export async function unbanUser(deps: AdminDeps, userId: number, by: Actor): Promise<BanResult> {
  const before = await requireUser(deps, userId);
  // Redis first: if it fails nothing changed; if the database then fails, its flag still refuses
  // logins (banned, as before), and a retry finishes the unban.
  await deps.sessions.unban(userId);
  await deps.prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { bannedAt: null, bannedUntil: null, banReason: null } });
    if (before.bannedAt !== null) await deps.events.record(tx, [event.userUnbanned(userId)]);
  });
  deps.audit.record([{ action: "unban", actor: by.actor, userId, ip: by.ip }]);
  return { userId, banned: false, bannedAt: null, bannedUntil: null, reason: null, revoked: 0 };
}

/**
 * Logs the caller out: revokes their current session only.
 * @throws AppError 503 SERVICE_UNAVAILABLE
 */
export async function logout(deps: AdminDeps, session: SessionRecord, ip: string): Promise<void> {
  // Already revoked by someone else meanwhile: that revocation reported it.
  if (await deps.sessions.revoke(session.userId, session.sid, "logout")) {
    await deps.events.recordAfter([event.sessionEnded(session.userId, publicSessionId(session.userId, session.sid), "logout")]);
  }
  deps.audit.record([
    {
      action: "logout",
      actor: "user",
      userId: session.userId,
      sessionId: publicSessionId(session.userId, session.sid),
      ip,
      appid: session.appid,
    },
  ]);
}
