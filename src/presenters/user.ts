import type { Identity, Restriction, User } from "../generated/prisma/client.js";

/** The user as clients see it. openid, unionid and ban details stay server-side. */
export interface PublicUser {
  id: number;
  nickname: string | null;
  avatarUrl: string | null;
  phone: string | null;
  /** ISO 8601. */
  createdAt: string;
}

/** Lists the fields allowed out of the server for a user. */
export function presentUser(u: User): PublicUser {
  return { id: u.id, nickname: u.nickname, avatarUrl: u.avatarUrl, phone: u.phone, createdAt: u.createdAt.toISOString() };
}

/** A restriction as an admin sees it. */
export interface PresentedRestriction {
  name: string;
  reason: string | null;
  /** ISO 8601, or null: until an operator lifts it. */
  until: string | null;
  createdAt: string;
}

export function presentRestriction(r: Restriction): PresentedRestriction {
  return { name: r.name, reason: r.reason, until: r.until?.toISOString() ?? null, createdAt: r.createdAt.toISOString() };
}

/** An identity as its owner sees it (GET /me/identities): never the openid or unionid. */
export interface OwnIdentity {
  /** What DELETE /me/identities/{id} names. */
  id: number;
  platform: string;
  appid: string;
  createdAt: string;
}

export function presentOwnIdentity(i: Identity): OwnIdentity {
  return { id: i.id, platform: i.platform, appid: i.appid, createdAt: i.createdAt.toISOString() };
}

/** An identity as an admin sees it (nobody else sees openids). */
export interface AdminIdentity {
  /** What DELETE /me/identities/{id} names. */
  id: number;
  /** wechat, douyin, alipay, qq, baidu or kuaishou. */
  platform: string;
  appid: string;
  openid: string;
  unionid: string | null;
  createdAt: string;
}

/** A user as an admin sees it: GET /admin/users/:userId and the searches. */
export interface AdminUser extends PublicUser {
  bannedAt: string | null;
  /** When the ban lifts itself, or null (none, or until an operator lifts it). */
  bannedUntil: string | null;
  /** Partial bans (POST /admin/users/:id/restrictions), lifted or not. */
  restrictions: PresentedRestriction[];
  /** Set when the account was deleted (profile and identities are gone by then). */
  deletedAt: string | null;
  identities: AdminIdentity[];
}

export function presentAdminUser(u: User & { identities: Identity[]; restrictions?: Restriction[] }): AdminUser {
  return {
    ...presentUser(u),
    restrictions: (u.restrictions ?? []).map(presentRestriction),
    bannedAt: u.bannedAt?.toISOString() ?? null,
    bannedUntil: u.bannedUntil?.toISOString() ?? null,
    deletedAt: u.deletedAt?.toISOString() ?? null,
    identities: u.identities.map((i) => ({
      id: i.id,
      platform: i.platform,
      appid: i.appid,
      openid: i.openid,
      unionid: i.unionid,
      createdAt: i.createdAt.toISOString(),
    })),
  };
}
