import type { ListedSession, SessionRecord } from "../sessions/record.js";
import { publicSessionId } from "../sessions/token.js";

/** A session as its owner sees it: a public id, never the token or its hash alone. */
export interface PublicSession {
  sessionId: string;
  userId: number;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Lists the fields allowed out for the caller's own session (GET /auth/session). */
export function presentSession(r: SessionRecord): PublicSession {
  return {
    sessionId: publicSessionId(r.userId, r.sid),
    userId: r.userId,
    createdAt: iso(r.createdAt),
    lastSeenAt: iso(r.lastSeenAt),
    expiresAt: iso(r.expiresAt),
  };
}

/** A session in a list (the user's own or an admin's view): adds the login's IP and User-Agent. */
export function presentSessionListItem(r: ListedSession) {
  return {
    sessionId: publicSessionId(r.userId, r.sid),
    createdAt: iso(r.createdAt),
    lastSeenAt: iso(r.lastSeenAt),
    expiresAt: iso(r.expiresAt),
    ip: r.ip,
    userAgent: r.userAgent,
  };
}
