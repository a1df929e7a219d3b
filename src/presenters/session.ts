import type { ListedSession, SessionRecord } from "../sessions/record.js";
import { publicSessionId } from "../sessions/token.js";

/** A session as its owner sees it: a public id, never the token or its hash alone. */
export interface PublicSession {
  sessionId: string;
  userId: number;
  /** The mini-program the session was logged in from. */
  appid: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/**
 * What a backend learns of a verified session: the library's `verify()` result and
 * `ctx.state.session`, and (as JSON, openid and unionid only for a service caller) the body of
 * GET /auth/verify.
 */
export interface VerifiedSession {
  userId: number;
  /** The public session id (`<userId>.<sid>`): names the session, cannot act as its token. */
  sessionId: string;
  /** The mini-program the session was logged in from ("" if the library could not learn the primary app's appid). */
  appid: string;
  /** WeChat's openid for this user in that app; server-side only, never send it to the mini-program. */
  openid: string;
  /** WeChat's unionid, or null when WeChat gave none (the appid is bound to no Open Platform account). */
  unionid: string | null;
  /** When the session dies unless used again (idle timeout), at the latest its absolute timeout. */
  expiresAt: Date;
}

/** The fields a backend may see of a live session. */
export function presentVerifiedSession(r: SessionRecord): VerifiedSession {
  return {
    userId: r.userId,
    sessionId: publicSessionId(r.userId, r.sid),
    appid: r.appid,
    openid: r.openid,
    unionid: r.unionid,
    expiresAt: new Date(r.expiresAt),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

// The session cache (sessionCache.ts) hands the same record to every check until a write
// replaces it, so the public view (three toISOString calls and an id) is made once per record,
// not once per request. That is right only while neither changes: SessionRecord's fields are
// readonly (a renewal makes a new record), the cache freezes what it holds, and the view is frozen.
const presented = new WeakMap<SessionRecord, Readonly<PublicSession>>();

/** Lists the fields allowed out for the caller's own session (GET /auth/session); one frozen object per record. */
export function presentSession(r: SessionRecord): Readonly<PublicSession> {
  let view = presented.get(r);
  if (!view) {
    view = Object.freeze({
      sessionId: publicSessionId(r.userId, r.sid),
      userId: r.userId,
      appid: r.appid,
      createdAt: iso(r.createdAt),
      lastSeenAt: iso(r.lastSeenAt),
      expiresAt: iso(r.expiresAt),
    });
    presented.set(r, view);
  }
  return view;
}

/** A session in a list (the user's own or an admin's view): adds the login's IP and User-Agent. */
export function presentSessionListItem(r: ListedSession) {
  return {
    sessionId: publicSessionId(r.userId, r.sid),
    appid: r.appid,
    createdAt: iso(r.createdAt),
    lastSeenAt: iso(r.lastSeenAt),
    expiresAt: iso(r.expiresAt),
    ip: r.ip,
    userAgent: r.userAgent,
  };
}
