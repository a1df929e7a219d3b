/**
 * Restrictions (partial bans): an operator takes one thing away from a user (`comment`, `post`,
 * `pay`), optionally until a time; the user keeps their sessions, and every session check carries
 * the active restrictions to the team's API (verifier/src/restrictions.ts). The database holds
 * them; Redis holds a copy in the user's hash, replaced on every change and at every login, so a
 * change counts on the next request on every instance, the process-local caches included.
 */
import type { Restriction as StoredRestriction } from "../../verifier/src/restrictions.js";
import type { AuditActor, AuditLog } from "../audit.js";
import type { PrismaClient } from "../clients/prisma.js";
import { AppError, userNotFound } from "../errors.js";
import type { Restriction } from "../generated/prisma/client.js";
import type { Sessions } from "../sessions/sessions.js";

/** Restrictions a user may carry at once. */
export const MAX_RESTRICTIONS = 16;

export const restrictionNotFound = () => new AppError(404, "RESTRICTION_NOT_FOUND", "The user has no restriction by that name.");
const tooManyRestrictions = () =>
  new AppError(409, "TOO_MANY_RESTRICTIONS", `A user carries at most ${MAX_RESTRICTIONS} restrictions; lift one first.`);

export interface RestrictionDeps {
  prisma: PrismaClient;
  sessions: Sessions;
  audit: AuditLog;
}

/** The user's restrictions in force now, as Redis keeps them. */
export async function activeRestrictionsOf(prisma: PrismaClient, userId: number): Promise<StoredRestriction[]> {
  const rows = await prisma.restriction.findMany({
    where: { userId, OR: [{ until: null }, { until: { gt: new Date() } }] },
    orderBy: { name: "asc" },
  });
  return rows.map((r) => ({ name: r.name, until: r.until?.getTime() ?? null }));
}

/** Copies the user's active restrictions into Redis (every instance sees them on the next check). */
async function publish(deps: RestrictionDeps, userId: number): Promise<Restriction[]> {
  await deps.sessions.setRestrictions(userId, await activeRestrictionsOf(deps.prisma, userId));
  return deps.prisma.restriction.findMany({ where: { userId }, orderBy: { name: "asc" } });
}

/**
 * Adds (or replaces) a restriction.
 * @returns every restriction of the user after the change
 * @throws AppError 404 USER_NOT_FOUND, 409 TOO_MANY_RESTRICTIONS, 503
 */
export async function addRestriction(
  deps: RestrictionDeps,
  userId: number,
  input: { name: string; reason: string | null; until: Date | null },
  by: { actor: AuditActor; ip?: string | null },
): Promise<Restriction[]> {
  const user = await deps.prisma.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!user) throw userNotFound();
  const existing = await deps.prisma.restriction.count({ where: { userId, NOT: { name: input.name } } });
  if (existing >= MAX_RESTRICTIONS) throw tooManyRestrictions();
  const data = { reason: input.reason, until: input.until };
  await deps.prisma.restriction.upsert({
    where: { userId_name: { userId, name: input.name } },
    create: { userId, name: input.name, ...data },
    update: data,
  });
  deps.audit.record([
    {
      action: "restriction_added",
      actor: by.actor,
      userId,
      ip: by.ip,
      detail: `${input.name}${input.until ? ` until ${input.until.toISOString()}` : ""}${input.reason ? `: ${input.reason}` : ""}`.slice(
        0,
        500,
      ),
    },
  ]);
  return publish(deps, userId);
}

/**
 * Lifts a restriction.
 * @returns every restriction of the user after the change
 * @throws AppError 404 RESTRICTION_NOT_FOUND, 503
 */
export async function removeRestriction(
  deps: RestrictionDeps,
  userId: number,
  name: string,
  by: { actor: AuditActor; ip?: string | null },
): Promise<Restriction[]> {
  const removed = await deps.prisma.restriction.deleteMany({ where: { userId, name } });
  if (removed.count === 0) throw restrictionNotFound();
  deps.audit.record([{ action: "restriction_removed", actor: by.actor, userId, ip: by.ip, detail: name }]);
  return publish(deps, userId);
}
