/**
 * The user's own sessions: GET /auth/sessions, DELETE /auth/sessions/:sessionId,
 * POST /auth/logout-others.
 */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import { revokeAllSessions, revokeSession } from "../../commands/sessionAdmin.js";
import type { AppDeps } from "../../deps.js";
import { presentSessionListItem } from "../../presenters/session.js";
import { createRouter } from "../router.js";

export function ownSessionRoutes(deps: AppDeps, auth: Middleware): Router {
  const router = createRouter("/auth");

  router.get("/sessions", auth, async function listOwnSessions(ctx) {
    const { userId, session } = ctx.state.auth;
    const sessions = await deps.sessions.list(userId);
    ctx.body = { sessions: sessions.map((r) => ({ ...presentSessionListItem(r), current: r.sid === session.sid })) };
  });

  router.delete("/sessions/:sessionId", auth, async function revokeOwnSession(ctx) {
    const { userId } = ctx.state.auth;
    await revokeSession(deps, ctx.params.sessionId ?? "", { actor: "user", ip: ctx.ip }, userId);
    ctx.status = 204;
  });

  router.post("/logout-others", auth, async function logoutOthers(ctx) {
    const { userId, session } = ctx.state.auth;
    ctx.body = { revoked: await revokeAllSessions(deps, userId, { actor: "user", ip: ctx.ip }, session.sid, false) };
  });

  return router;
}
