import type { LoginResult } from "../commands/login.js";
import { type PublicUser, presentUser } from "./user.js";

/** POST /auth/login's answer: the token (shown once), when it dies unless used, and the user. */
export interface PresentedLogin {
  token: string;
  /** ISO 8601. */
  expiresAt: string;
  isNewUser: boolean;
  user: PublicUser;
}

export function presentLogin(result: LoginResult): PresentedLogin {
  return {
    token: result.token,
    expiresAt: new Date(result.session.expiresAt).toISOString(),
    isNewUser: result.isNewUser,
    user: presentUser(result.user),
  };
}
