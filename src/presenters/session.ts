import type { ListedSession, SessionRecord } from "../../verifier/src/record.js";
import { activeRestrictions } from "../../verifier/src/restrictions.js";
import { publicSessionId } from "../../verifier/src/token.js";

// The library's view of a session, also GET /auth/verify's body: defined in the library's package.
export { presentVerifiedSession, type VerifiedSession } from "../../verifier/src/verifiedSession.js";

/** A session as its owner sees it: a public id, never the token or its hash alone. */
export interface PublicSession {
  sessionId: string;
  userId: number;
  /** The mini-program the session was logged in from. */
  appid: string;
  /** That app's platform: wechat, douyin, alipay, qq, baidu or kuaishou. */
  platform: string;
  /** The names of the user's restrictions in force (partial bans: verifier/src/restrictions.ts). */
  restrictions: readonly string[];
  /** Until when this session's step-up counts (ISO 8601), or null: none, or it has passed. */
  elevatedUntil: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

// The session cache (sessionCache.ts) hands the same record to every check until a write
// replaces it, so the public view (three toISOString calls and an id) is made once per record,
// not once per request. That is right only while neither changes: SessionRecord's fields are
// readonly (a renewal makes a new record), the cache freezes what it holds, and the view is frozen.
const presented = new WeakMap<SessionRecord, Readonly<PublicSession>>();

/**
 * Lists the fields allowed out for the caller's own session (GET /auth/session); one frozen
 * object per record while the user has no restrictions (whose ends make the view depend on the
 * time).
 */
export function presentSession(r: SessionRecord, now = Date.now()): Readonly<PublicSession> {
  if (!r.restrictions.length && !r.elevatedUntil) return view(r);
  return {
    ...view(r),
    restrictions: activeRestrictions(r.restrictions, now).map((x) => x.name),
    elevatedUntil: r.elevatedUntil > now ? iso(r.elevatedUntil) : null,
  };
}

function view(r: SessionRecord): Readonly<PublicSession> {
  let view = presented.get(r);
  if (!view) {
    view = Object.freeze({
      sessionId: publicSessionId(r.userId, r.sid),
      userId: r.userId,
      appid: r.appid,
      platform: r.platform,
      restrictions: [],
      elevatedUntil: null,
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
    platform: r.platform,
    createdAt: iso(r.createdAt),
    lastSeenAt: iso(r.lastSeenAt),
    expiresAt: iso(r.expiresAt),
    ip: r.ip,
    userAgent: r.userAgent,
  };
}
