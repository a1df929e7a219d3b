/**
 * The admin API: list and find users, list and revoke sessions, ban and unban users, restrict
 * them (partial bans), delete
 * accounts, read the audit trail, name the configured apps. On
 * only when ADMIN_TOKEN is set.
 */
import type Router from "@koa/router";
import { RESTRICTION_NAME } from "../../../verifier/src/restrictions.js";
import { listAuditEvents } from "../../commands/auditTrail.js";
import { addRestriction, removeRestriction, restrictionNotFound } from "../../commands/restrictions.js";
import { banUser, listUserSessions, revokeAllSessions, revokeSession, unbanUser } from "../../commands/sessionAdmin.js";
import { deleteAccount, findUsers, listUsers, showUser } from "../../commands/userAdmin.js";
import type { AppDeps } from "../../deps.js";
import { invalidRequest } from "../../errors.js";
import { requireAdmin } from "../../middlewares/requireAdmin.js";
import { describeIssue, validateBody } from "../../middlewares/validate.js";
import { presentApp } from "../../presenters/app.js";
import { presentAuditEvent } from "../../presenters/audit.js";
import { presentSessionListItem } from "../../presenters/session.js";
import { presentAdminUser, presentRestriction } from "../../presenters/user.js";
import { userIdParam } from "../params.js";
import { createRouter } from "../router.js";
import { auditQuery, type BanBody, banBody, type RestrictionBody, restrictionBody, usersQuery } from "./schema.js";

export function adminRoutes(deps: AppDeps): Router {
  const router = createRouter("/admin");
  // A second guard behind adminGate (app.ts), for every admin route; the console's static files
  // (console.ts) are the one thing under /admin that loads without the token.
  const guard = requireAdmin(deps.config.adminToken);
  router.use(function adminRouteGuard(ctx, next) {
    return ctx.path.startsWith("/admin/console/") || ctx.path === "/admin/console" ? next() : guard(ctx, next);
  });
  const by = (ip: string) => ({ actor: "admin_api" as const, ip });

  router.get("/overview", async function adminOverview(ctx) {
    // This instance's last few seconds first; the other instances' arrive within FLUSH_MS.
    await deps.overview.flush();
    const data = await deps.overview.lastHour();
    ctx.body = { minutes: data.minutes.map((m) => new Date(m).toISOString()), series: data.series };
  });

  router.get("/apps", function adminApps(ctx) {
    // The names the console shows beside each appid (identities, sessions, audit events).
    ctx.body = { apps: deps.apps.list.map(presentApp) };
  });

  router.get("/audit", async function adminAudit(ctx) {
    const parsed = auditQuery.safeParse(ctx.query, { reportInput: true });
    if (!parsed.success) throw invalidRequest(describeIssue(parsed.error));
    const page = await listAuditEvents(deps, parsed.data);
    ctx.body = { events: page.events.map(presentAuditEvent), next: page.next };
  });

  router.get("/users", async function adminFindUsers(ctx) {
    const parsed = usersQuery.safeParse(ctx.query, { reportInput: true });
    if (!parsed.success) throw invalidRequest(describeIssue(parsed.error));
    const { openid, unionid, phone, nickname, platform, cursor, limit } = parsed.data;
    if (openid === undefined && unionid === undefined && phone === undefined) {
      const page = await listUsers(deps, { nickname, platform, cursor, limit });
      ctx.body = { users: page.users.map(presentAdminUser), next: page.next };
      return;
    }
    if (nickname !== undefined) throw invalidRequest("Give exactly one of openid, unionid, phone or nickname.");
    if (platform !== undefined) throw invalidRequest("platform narrows a listing or a nickname search, not openid, unionid or phone.");
    if (cursor !== undefined || limit !== undefined) throw invalidRequest("cursor and limit page a listing or a nickname search.");
    ctx.body = { users: (await findUsers(deps, { openid, unionid, phone })).map(presentAdminUser) };
  });

  router.get("/users/:userId", async function adminShowUser(ctx) {
    ctx.body = presentAdminUser(await showUser(deps, userIdParam(ctx.params.userId)));
  });

  router.delete("/users/:userId", async function adminDeleteUser(ctx) {
    await deleteAccount(deps, userIdParam(ctx.params.userId), by(ctx.ip));
    ctx.status = 204;
  });

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

  router.post<{ body: BanBody }>("/users/:userId/ban", validateBody(banBody), async function adminBan(ctx) {
    const userId = userIdParam(ctx.params.userId);
    ctx.body = await banUser(deps, userId, ctx.state.body.reason ?? null, by(ctx.ip), ctx.state.body.until ?? null);
  });

  router.delete("/users/:userId/ban", async function adminUnban(ctx) {
    ctx.body = await unbanUser(deps, userIdParam(ctx.params.userId), by(ctx.ip));
  });

  router.post<{ body: RestrictionBody }>("/users/:userId/restrictions", validateBody(restrictionBody), async function adminRestrict(ctx) {
    const { name, reason, until } = ctx.state.body;
    const list = await addRestriction(
      deps,
      userIdParam(ctx.params.userId),
      { name, reason: reason ?? null, until: until ?? null },
      by(ctx.ip),
    );
    ctx.body = { restrictions: list.map(presentRestriction) };
  });

  router.delete("/users/:userId/restrictions/:name", async function adminUnrestrict(ctx) {
    const name = ctx.params.name ?? "";
    // A name no restriction can have (a NUL byte, say) names none: never a query the database refuses.
    if (!RESTRICTION_NAME.test(name)) throw restrictionNotFound();
    const list = await removeRestriction(deps, userIdParam(ctx.params.userId), name, by(ctx.ip));
    ctx.body = { restrictions: list.map(presentRestriction) };
  });

  return router;
}
