import type { SessionRecord } from "./record.js";
import { activeRestrictions } from "./restrictions.js";
import { publicSessionId } from "./token.js";

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
  /** That app's platform: wechat, douyin, alipay, qq, baidu or kuaishou. */
  platform: string;
  /** WeChat's openid for this user in that app; server-side only, never send it to the mini-program. */
  openid: string;
  /** WeChat's unionid, or null when WeChat gave none (the appid is bound to no Open Platform account). */
  unionid: string | null;
  /**
   * The user's restrictions in force (partial bans an operator set: `comment`, `pay`...), each
   * with when it lifts itself (null: when an operator lifts it). requireUnrestricted refuses by
   * name.
   */
  restrictions: { name: string; until: Date | null }[];
  /**
   * The session's step-up in force (a fingerprint, face or phone check, POST /auth/step-up): when
   * it happened and until when it counts; null when there is none or it has passed.
   * requireStepUp asks for one.
   */
  stepUp: { at: Date; until: Date } | null;
  /** When the session dies unless used again (idle timeout), at the latest its absolute timeout. */
  expiresAt: Date;
}

/**
 * The fields a backend may see of a live session.
 * @param now - epoch ms, to drop restrictions that have lifted themselves
 */
export function presentVerifiedSession(r: SessionRecord, now = Date.now()): VerifiedSession {
  return {
    userId: r.userId,
    sessionId: publicSessionId(r.userId, r.sid),
    appid: r.appid,
    platform: r.platform,
    openid: r.openid,
    unionid: r.unionid,
    restrictions: activeRestrictions(r.restrictions, now).map((x) => ({
      name: x.name,
      until: x.until === null ? null : new Date(x.until),
    })),
    stepUp: r.elevatedUntil > now ? { at: new Date(r.elevatedAt), until: new Date(r.elevatedUntil) } : null,
    expiresAt: new Date(r.expiresAt),
  };
}
