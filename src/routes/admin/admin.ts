/**
 * The admin API: list and revoke sessions, ban and unban users. On only when ADMIN_TOKEN is set.
 */
import type Router from "@koa/router";
import { banUser, listUserSessions, revokeAllSessions, revokeSession, unbanUser } from "../../commands/sessionAdmin.js";
import type { AppDeps } from "../../deps.js";
import { requireAdmin } from "../../middlewares/requireAdmin.js";
import { validateBody } from "../../middlewares/validate.js";
import { presentSessionListItem } from "../../presenters/session.js";
import { userIdParam } from "../params.js";
import { createRouter } from "../router.js";
import { type BanBody, banBody } from "./schema.js";

export function adminRoutes(deps: AppDeps): Router {
  const router = createRouter("/admin");
  router.use(requireAdmin(deps.config.adminToken));
  const by = (ip: string) => ({ actor: "admin_api" as const, ip });

  router.get("/users/:userId/sessions", async function adminListSessions(ctx) {
    const sessions = await listUserSessions(deps, userIdParam(ctx.params.userId));
    ctx.body = { sessions: sessions.map(presentSessionListItem) };
  });

  router.delete("/sessions/:sessionId", async function adminRevokeSession(ctx) {
    await revokeSession(deps, ctx.params.sessionId ?? "", by(ctx.ip));
    ctx.status = 204;
  });

  router.delete("/users/:userId/sessions", async function adminRevokeAll(ctx) {
    ctx.body = { revoked: await revokeAllSessions(deps, userIdParam(ctx.params.userId), by(ctx.ip)) };
  });

  router.post("/users/:userId/ban", validateBody(banBody), async function adminBan(ctx) {
    const userId = userIdParam(ctx.params.userId);
    ctx.body = await banUser(deps, userId, (ctx.state.body as BanBody).reason ?? null, by(ctx.ip));
  });

  router.delete("/users/:userId/ban", async function adminUnban(ctx) {
    ctx.body = await unbanUser(deps, userIdParam(ctx.params.userId), by(ctx.ip));
  });

  return router;
}
