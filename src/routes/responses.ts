/**
 * Response shapes, in zod, for the OpenAPI document. The presenters produce these; the OpenAPI
 * test parses real responses with them, so the document cannot drift from what is served.
 */
import { z } from "zod";
import { PLATFORMS } from "../platforms/types.js";

const isoTime = z.string().describe("ISO 8601 time, UTC");
const platform = z.enum(PLATFORMS).describe("The app's platform");
const restriction = z.object({ name: z.string(), reason: z.string().nullable(), until: isoTime.nullable(), createdAt: isoTime });
export const restrictionList = z.object({ restrictions: z.array(restriction) });
const restrictionNames = z.array(z.string()).describe("The names of the user's restrictions in force (partial bans)");

export const errorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export const userResponse = z.object({
  id: z.number().int(),
  nickname: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  phone: z.string().nullable(),
  createdAt: isoTime,
});
export const adminUser = userResponse.extend({
  bannedAt: isoTime.nullable(),
  bannedUntil: isoTime.nullable().describe("When the ban lifts itself; null: none, or until an operator lifts it"),
  restrictions: z.array(restriction),
  deletedAt: isoTime.nullable(),
  identities: z.array(
    z.object({
      id: z.number().int(),
      platform,
      appid: z.string(),
      openid: z.string(),
      unionid: z.string().nullable(),
      createdAt: isoTime,
    }),
  ),
});
export const adminUserList = z.object({
  users: z.array(adminUser),
  next: z
    .string()
    .nullable()
    .optional()
    .describe("Listing and nickname search only: pass as ?cursor= for the next (older) page; null on the last"),
});
export const loginResponse = z.object({ token: z.string(), expiresAt: isoTime, isNewUser: z.boolean(), user: userResponse });
const appid = z.string().describe("The mini-program the session was logged in from");
export const sessionResponse = z.object({
  sessionId: z.string(),
  userId: z.number().int(),
  appid,
  platform,
  restrictions: restrictionNames,
  elevatedUntil: isoTime.nullable().describe("Until when this session's step-up counts; null: none"),
  createdAt: isoTime,
  lastSeenAt: isoTime,
  expiresAt: isoTime,
});
export const verifyResponse = z.object({
  userId: z.number().int(),
  sessionId: z.string(),
  appid,
  platform,
  restrictions: restrictionNames,
  elevatedUntil: isoTime.nullable().describe("Until when this session's step-up counts (also X-Tongxing-Elevated-Until); null: none"),
  openid: z.string().optional().describe("Only with X-Tongxing-Service-Token"),
  unionid: z.string().nullable().optional().describe("Only with X-Tongxing-Service-Token; null when the platform gave none"),
});
export const ownIdentity = z.object({ id: z.number().int(), platform, appid: z.string(), createdAt: isoTime });
export const ownIdentityList = z.array(ownIdentity);
export const sessionListItem = z.object({
  sessionId: z.string(),
  appid,
  platform,
  createdAt: isoTime,
  lastSeenAt: isoTime,
  expiresAt: isoTime,
  ip: z.string(),
  userAgent: z.string(),
});
export const adminSessionList = z.object({ sessions: z.array(sessionListItem) });
export const ownSessionList = z.object({ sessions: z.array(sessionListItem.extend({ current: z.boolean() })) });
export const revokedCount = z.object({ revoked: z.number().int() });
export const banResponse = z.object({
  userId: z.number().int(),
  banned: z.boolean(),
  bannedAt: isoTime.nullable(),
  bannedUntil: isoTime.nullable(),
  reason: z.string().nullable(),
  revoked: z.number().int(),
});
export const accessTokenResponse = z.object({
  accessToken: z.string(),
  expiresAt: isoTime.describe("When tongxing's cache lets go of it, before WeChat's own expiry"),
});
export const appList = z.object({ apps: z.array(z.object({ appid: z.string(), platform, name: z.string() })) });
export const auditPage = z.object({
  events: z.array(
    z.object({
      id: z.number().int(),
      at: isoTime,
      action: z.string(),
      actor: z.string(),
      userId: z.number().int(),
      sessionId: z.string().nullable(),
      ip: z.string().nullable(),
      detail: z.string().nullable(),
      appid: z.string().nullable().describe("The mini-program of a login, logout or unionid conflict; null otherwise"),
    }),
  ),
  next: z.number().int().nullable().describe("Pass as ?before= for the next (older) page; null on the last"),
});
const perMinute = z.record(z.string(), z.array(z.number().int())).describe("Per outcome, one count per minute");
export const overviewResponse = z.object({
  minutes: z.array(isoTime).describe("The start of each of the last 60 minutes, oldest first"),
  series: z.object({ logins: perMinute, wechat_errors: perMinute, checks: perMinute }),
});
export const validResponse = z.object({ valid: z.boolean() });
export const decryptResponse = z.object({ data: z.record(z.string(), z.unknown()) });
export const healthResponse = z.object({ status: z.string() });
export const readyResponse = z.object({
  status: z.string(),
  checks: z.object({
    redis: z.enum(["ok", "down"]),
    database: z.enum(["ok", "down"]).describe("PostgreSQL or MySQL/MariaDB"),
    postgres: z.enum(["ok", "down"]).describe("Deprecated: the same as database"),
    shuttingDown: z.boolean(),
  }),
});
export const challengeResponse = z.object({
  challenge: z.string().describe("wx.startSoterAuthentication's challenge; single use, 2 minutes"),
});
export const stepUpResponse = z.object({ elevatedUntil: isoTime });
