/**
 * The admin CLI's commands (admin.ts parses the arguments and prints): each one validates its
 * options with the admin route's own schema, runs the same command as the route, and answers
 * the route's JSON and a few lines of text for an operator.
 */
import type { z } from "zod";
import { addRestriction, removeRestriction } from "../commands/restrictions.js";
import { banUser, listUserSessions, revokeAllSessions, revokeSession, unbanUser } from "../commands/sessionAdmin.js";
import { deleteAccount, findUsers, listUsers, showUser } from "../commands/userAdmin.js";
import { invalidRequest } from "../errors.js";
import { describeIssue } from "../middlewares/validate.js";
import { presentSessionListItem } from "../presenters/session.js";
import { type AdminUser, type PresentedRestriction, presentAdminUser, presentRestriction } from "../presenters/user.js";
import { banBody, restrictionBody, usersQuery } from "../routes/admin/schema.js";
import { userIdParam } from "../routes/params.js";
import type { CliBackends } from "./backends.js";

/** The options as given (strings, unvalidated); `reason` null when not given. */
export interface Options {
  reason: string | null;
  until?: string | undefined;
  /** A restriction's name (users restrict, unrestrict). */
  name?: string | undefined;
  openid?: string | undefined;
  unionid?: string | undefined;
  phone?: string | undefined;
  nickname?: string | undefined;
  platform?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
}
/** A command: the backends, its one argument (a user or session id; "" for none), the options. */
export type Run = (b: CliBackends, arg: string, opts: Options) => Promise<{ json: unknown; text: string }>;

/** A restriction in one line: name, end (marked when passed), reason, since when. */
function restrictionLine(r: PresentedRestriction): string {
  const passed = r.until && Date.parse(r.until) <= Date.now() ? " (passed)" : "";
  return `${r.name}  until ${r.until ?? "-"}${passed}  reason ${r.reason ?? "-"}  since ${r.createdAt}`;
}

/** A user in a few lines: id, profile, state, then one line per identity and per restriction. */
function userText(u: AdminUser): string {
  const banned = u.bannedAt && `banned ${u.bannedAt}${u.bannedUntil ? ` until ${u.bannedUntil}` : ""}`;
  const state = u.deletedAt ? `deleted ${u.deletedAt}` : banned || "active";
  const head = `user ${u.id}  ${state}  created ${u.createdAt}  nickname ${u.nickname ?? "-"}  phone ${u.phone ?? "-"}`;
  const ids = u.identities.map((i) => `  ${i.platform}  ${i.appid}  openid ${i.openid}  unionid ${i.unionid ?? "-"}  since ${i.createdAt}`);
  return [head, ...ids, ...u.restrictions.map((r) => `  restricted ${restrictionLine(r)}`)].join("\n");
}

/** What restrict and unrestrict answer: the route's JSON, and the list under a heading. */
function restrictionsOut(userId: number, list: PresentedRestriction[]) {
  const text = list.length
    ? [`user ${userId}'s restrictions:`, ...list.map((r) => `  ${restrictionLine(r)}`)].join("\n")
    : `user ${userId} has no restrictions`;
  return { json: { restrictions: list }, text };
}
const by = { actor: "cli" as const, ip: null };
/** An option the route's schema refuses: 400 INVALID_REQUEST (exit 2), naming it as an option. */
const invalidOptions = (error: z.ZodError) => invalidRequest(`--${describeIssue(error)}`);

/** Every command by its name ("users show"). */
export const COMMANDS: Record<string, Run> = {
  "sessions list": async (b, arg) => {
    const sessions = (await listUserSessions(await b.admin(), userIdParam(arg))).map(presentSessionListItem);
    const text = sessions.length
      ? sessions
          .map((s) => `${s.sessionId}  created ${s.createdAt}  last seen ${s.lastSeenAt}  expires ${s.expiresAt}  ${s.ip}  ${s.userAgent}`)
          .join("\n")
      : "no live sessions";
    return { json: { sessions }, text };
  },
  "sessions revoke": async (b, arg) => {
    await revokeSession(await b.admin(), arg, by);
    return { json: { revoked: 1 }, text: `revoked ${arg}` };
  },
  "sessions revoke-all": async (b, arg) => {
    const revoked = await revokeAllSessions(await b.admin(), userIdParam(arg), by);
    return { json: { revoked }, text: `revoked ${revoked} session(s)` };
  },
  "users show": async (b, arg) => {
    const user = presentAdminUser(await showUser(b, userIdParam(arg)));
    return { json: user, text: userText(user) };
  },
  "users list": async (b, _arg, { nickname, platform, limit, cursor }) => {
    const parsed = usersQuery.safeParse({ nickname, platform, limit, cursor }, { reportInput: true });
    if (!parsed.success) throw invalidRequest(describeIssue(parsed.error));
    const page = await listUsers(b, parsed.data);
    const users = page.users.map(presentAdminUser);
    const more = page.next ? `\nmore: --cursor ${page.next}` : "";
    return { json: { users, next: page.next }, text: users.length ? users.map(userText).join("\n") + more : "no users" };
  },
  "users find": async (b, _arg, opts) => {
    const users = (await findUsers(b, opts)).map(presentAdminUser);
    return { json: { users }, text: users.length ? users.map(userText).join("\n") : "no such user" };
  },
  "users delete": async (b, arg) => {
    const revoked = await deleteAccount(await b.admin(), userIdParam(arg), by);
    return { json: { deleted: true, revoked }, text: `deleted user ${arg}'s account; revoked ${revoked} session(s)` };
  },
  "users ban": async (b, arg, { reason, until }) => {
    const body = banBody.safeParse({ ...(reason !== null && { reason }), ...(until !== undefined && { until }) });
    if (!body.success) throw invalidOptions(body.error);
    const result = await banUser(await b.admin(), userIdParam(arg), reason, by, body.data.until ?? null);
    const lifts = result.bannedUntil ? ` until ${result.bannedUntil}` : "";
    return { json: result, text: `banned user ${arg}${lifts}; revoked ${result.revoked} session(s)` };
  },
  "users unban": async (b, arg) => {
    const result = await unbanUser(await b.admin(), userIdParam(arg), by);
    return { json: result, text: `unbanned user ${arg}` };
  },
  "users restrict": async (b, arg, { name, reason, until }) => {
    const body = restrictionBody.safeParse({ name, ...(reason !== null && { reason }), ...(until !== undefined && { until }) });
    if (!body.success) throw invalidOptions(body.error);
    const userId = userIdParam(arg);
    const input = { name: body.data.name, reason: body.data.reason ?? null, until: body.data.until ?? null };
    return restrictionsOut(userId, (await addRestriction(await b.admin(), userId, input, by)).map(presentRestriction));
  },
  "users unrestrict": async (b, arg, { name }) => {
    const body = restrictionBody.pick({ name: true }).safeParse({ name });
    if (!body.success) throw invalidOptions(body.error);
    const userId = userIdParam(arg);
    return restrictionsOut(userId, (await removeRestriction(await b.admin(), userId, body.data.name, by)).map(presentRestriction));
  },
};
