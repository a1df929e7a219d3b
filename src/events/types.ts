/**
 * The events tongxing sends to the team's other backends (README, "Events"), and the shape of
 * each one's `data`. Every builder here is the only place its event's fields are chosen: ids and
 * what changed, never a token, a session_key, a secret or a phone number. openid and unionid go
 * in `ids`, which only endpoints configured with `includeOpenid` receive (events.ts).
 */

/** Every event type, as sent in `type`. */
export const EVENT_TYPES = [
  "user.created",
  "user.updated",
  "user.banned",
  "user.unbanned",
  "user.deleted",
  "session.created",
  "session.ended",
  "identity.linked",
  "identity.unlinked",
  "unionid.conflict",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Why a session ended: the user logged out; it was revoked (by an admin, by its user from another
 * session, or because its identity was unbound); a newer login replaced it (SESSIONS_PER_USER_MAX);
 * its user was banned or deleted. Quiet expiry sends nothing.
 */
export type SessionEndReason = "logout" | "revoked" | "replaced" | "banned" | "deleted";

/** One event, before it is stamped and written for each endpoint (events.ts). */
export interface TongxingEvent {
  type: EventType;
  data: { userId: number } & Record<string, unknown>;
  /** openid and unionid, merged into `data` only for endpoints with includeOpenid. */
  ids?: Record<string, unknown>;
}

/** An identity as events describe it: which app, and (with includeOpenid) who in it. */
export interface EventIdentity {
  id?: number;
  platform: string;
  appid: string;
  openid: string;
  unionid: string | null;
}

const identityData = (i: EventIdentity) => ({ ...(i.id !== undefined && { identityId: i.id }), platform: i.platform, appid: i.appid });
const identityIds = (i: EventIdentity) => ({ openid: i.openid, unionid: i.unionid });

/** A first login made a new user, through `identity`. */
export const userCreated = (userId: number, identity: EventIdentity): TongxingEvent => ({
  type: "user.created",
  data: { userId, ...identityData(identity) },
  ids: identityIds(identity),
});

/**
 * The user's profile changed: `changed` names the fields (nickname, avatarUrl, phone). The new
 * nickname and avatarUrl are sent (what the user shows to others); a phone number never is.
 */
export const userUpdated = (
  userId: number,
  changed: { nickname?: string | null | undefined; avatarUrl?: string | null | undefined; phone?: boolean },
): TongxingEvent => ({
  type: "user.updated",
  data: {
    userId,
    changed: (["nickname", "avatarUrl", "phone"] as const).filter((k) => changed[k] !== undefined && changed[k] !== false),
    ...(changed.nickname !== undefined && { nickname: changed.nickname }),
    ...(changed.avatarUrl !== undefined && { avatarUrl: changed.avatarUrl }),
  },
});

export const userBanned = (userId: number): TongxingEvent => ({ type: "user.banned", data: { userId } });
export const userUnbanned = (userId: number): TongxingEvent => ({ type: "user.unbanned", data: { userId } });

/** The account was deleted (PIPL Art. 47): receivers erase what they hold of the user. */
export const userDeleted = (userId: number, identities: EventIdentity[]): TongxingEvent => ({
  type: "user.deleted",
  data: { userId },
  ids: { identities: identities.map((i) => ({ ...identityData(i), ...identityIds(i) })) },
});

/** A login created a session (`sessionId` is the public `<userId>.<sid>`, never the token). */
export const sessionCreated = (userId: number, sessionId: string, identity: EventIdentity): TongxingEvent => ({
  type: "session.created",
  data: { userId, sessionId, ...identityData(identity) },
  ids: identityIds(identity),
});

export const sessionEnded = (userId: number, sessionId: string, reason: SessionEndReason): TongxingEvent => ({
  type: "session.ended",
  data: { userId, sessionId, reason },
});

export const identityLinked = (userId: number, identity: EventIdentity): TongxingEvent => ({
  type: "identity.linked",
  data: { userId, ...identityData(identity) },
  ids: identityIds(identity),
});

export const identityUnlinked = (userId: number, identity: EventIdentity): TongxingEvent => ({
  type: "identity.unlinked",
  data: { userId, ...identityData(identity) },
  ids: identityIds(identity),
});

/**
 * A login's identity brought a unionid another user already holds: not merged (the login went on
 * as `userId`); an operator decides.
 */
export const unionidConflict = (userId: number, otherUserId: number, identity: EventIdentity): TongxingEvent => ({
  type: "unionid.conflict",
  data: { userId, otherUserId, ...identityData(identity) },
  ids: identityIds(identity),
});
