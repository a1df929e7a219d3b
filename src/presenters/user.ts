import type { User } from "../generated/prisma/client.js";

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
