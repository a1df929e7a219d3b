/** What the console reads from the admin API, and the small helpers every view shares. */
import { ApiError } from "./api.js";

export interface Identity {
  id: number;
  /** wechat, douyin, alipay, qq, baidu or kuaishou. */
  platform: string;
  appid: string;
  openid: string;
  unionid: string | null;
  createdAt: string;
}
/** A restriction (partial ban): the team's word for what the user may not do, and until when. */
export interface Restriction {
  name: string;
  reason: string | null;
  /** ISO 8601, or null: until an operator lifts it. */
  until: string | null;
  createdAt: string;
}
export interface User {
  id: number;
  nickname: string | null;
  avatarUrl: string | null;
  phone: string | null;
  createdAt: string;
  bannedAt: string | null;
  /** When the ban lifts itself, or null (not banned, or until an operator lifts it). */
  bannedUntil: string | null;
  deletedAt: string | null;
  identities: Identity[];
  /** Every restriction, also those whose end has passed (listed until an operator removes them). */
  restrictions: Restriction[];
}
export interface Session {
  sessionId: string;
  appid: string;
  /** The platform of the app the session was logged in from. */
  platform: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
}
export interface AuditEvent {
  id: number;
  at: string;
  action: string;
  actor: string;
  userId: number;
  sessionId: string | null;
  ip: string | null;
  detail: string | null;
  /** The mini-program of a login, logout or unionid conflict. */
  appid: string | null;
}

/** An ISO time in the operator's locale and time zone; "-" for none. */
export const time = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "-");
export const errorText = (err: unknown) => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
