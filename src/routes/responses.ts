/**
 * Response shapes, in zod, for the OpenAPI document. The presenters produce these; the OpenAPI
 * test parses real responses with them, so the document cannot drift from what is served.
 */
import { z } from "zod";

const isoTime = z.string().describe("ISO 8601 time, UTC");

export const errorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export const userResponse = z.object({
  id: z.number().int(),
  nickname: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  phone: z.string().nullable(),
  createdAt: isoTime,
});
export const loginResponse = z.object({ token: z.string(), expiresAt: isoTime, isNewUser: z.boolean(), user: userResponse });
export const sessionResponse = z.object({
  sessionId: z.string(),
  userId: z.number().int(),
  createdAt: isoTime,
  lastSeenAt: isoTime,
  expiresAt: isoTime,
});
export const verifyResponse = z.object({
  userId: z.number().int(),
  sessionId: z.string(),
  openid: z.string().optional().describe("Only with X-Tongxing-Service-Token"),
  unionid: z.string().nullable().optional().describe("Only with X-Tongxing-Service-Token; null when WeChat gave none"),
});
export const sessionListItem = z.object({
  sessionId: z.string(),
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
  reason: z.string().nullable(),
  revoked: z.number().int(),
});
export const validResponse = z.object({ valid: z.boolean() });
export const decryptResponse = z.object({ data: z.record(z.string(), z.unknown()) });
export const healthResponse = z.object({ status: z.string() });
export const readyResponse = z.object({
  status: z.string(),
  checks: z.object({ redis: z.enum(["ok", "down"]), postgres: z.enum(["ok", "down"]), shuttingDown: z.boolean() }),
});
