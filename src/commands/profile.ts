/**
 * The user's own profile: PATCH /me's fields, written with the user.updated event that reports
 * them (in one transaction, src/events/). Only fields whose value changed are reported; a PATCH
 * that changes nothing sends nothing.
 */
import type { PrismaClient } from "../clients/prisma.js";
import { tokenInvalid } from "../errors.js";
import type { Events } from "../events/events.js";
import * as event from "../events/types.js";
import type { User } from "../generated/prisma/client.js";

/** The profile fields a user may set; null clears one, undefined leaves it. */
export interface ProfileChange {
  nickname?: string | null | undefined;
  avatarUrl?: string | null | undefined;
}

/**
 * Updates the caller's profile.
 * @returns the user as written
 * @throws AppError 401 TOKEN_INVALID when the user is gone (a session outliving its user), 503
 */
export async function updateProfile(deps: { prisma: PrismaClient; events: Events }, userId: number, change: ProfileChange): Promise<User> {
  return deps.prisma.$transaction(async (tx) => {
    const before = await tx.user.findUnique({ where: { id: userId }, select: { nickname: true, avatarUrl: true } });
    if (!before) throw tokenInvalid();
    const user = await tx.user.update({ where: { id: userId }, data: change });
    const changed = {
      ...(user.nickname !== before.nickname && { nickname: user.nickname }),
      ...(user.avatarUrl !== before.avatarUrl && { avatarUrl: user.avatarUrl }),
    };
    if (Object.keys(changed).length) await deps.events.record(tx, [event.userUpdated(userId, changed)]);
    return user;
  });
}
