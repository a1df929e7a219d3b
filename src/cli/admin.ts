#!/usr/bin/env node
/**
 * The operators' CLI: the admin API's operations, talking to Redis and PostgreSQL directly
 * (same environment variables as the server). Writes the same audit trail, with actor "cli".
 *
 *   npm run admin -- sessions list <userId> [--json]
 *   npm run admin -- sessions revoke <sessionId>
 *   npm run admin -- sessions revoke-all <userId>
 *   npm run admin -- users show <userId>
 *   npm run admin -- users find --openid o... | --unionid u... | --phone +86...
 *   npm run admin -- users ban <userId> [--reason text]
 *   npm run admin -- users unban <userId>
 *   npm run admin -- users delete <userId>
 *
 * Exit status: 0 done, 1 the operation failed (unknown user or session, backend down),
 * 2 bad arguments.
 */
import { parseArgs } from "node:util";
import { banUser, listUserSessions, revokeAllSessions, revokeSession, unbanUser } from "../commands/sessionAdmin.js";
import { deleteAccount, findUsers, showUser } from "../commands/userAdmin.js";
import { ConfigError, loadConfig } from "../config.js";
import type { AppDeps } from "../deps.js";
import { AppError } from "../errors.js";
import { createLogger } from "../log.js";
import { presentSessionListItem } from "../presenters/session.js";
import { type AdminUser, presentAdminUser } from "../presenters/user.js";
import { userIdParam } from "../routes/params.js";
import { connectBackends } from "../server.js";

const USAGE = `usage: npm run admin -- <command> [--json]
  sessions list <userId>          list a user's live sessions, newest first
  sessions revoke <sessionId>     revoke one session
  sessions revoke-all <userId>    revoke every session of a user
  users show <userId>             a user and their identities (appid, openid, unionid)
  users find --openid o | --unionid u | --phone p
                                  users by exactly one of those (exact match, at most 50)
  users ban <userId> [--reason r] ban a user (revokes every session, refuses logins)
  users unban <userId>            lift a ban
  users delete <userId>           delete the account (sessions, identities, profile)`;

class UsageError extends Error {}

interface Options {
  reason: string | null;
  openid?: string | undefined;
  unionid?: string | undefined;
  phone?: string | undefined;
}
type Run = (deps: AppDeps, arg: string, opts: Options) => Promise<{ json: unknown; text: string }>;

/** A user in a few lines: id, profile, state, then one line per identity. */
function userText(u: AdminUser): string {
  const state = u.deletedAt ? `deleted ${u.deletedAt}` : u.bannedAt ? `banned ${u.bannedAt}` : "active";
  const head = `user ${u.id}  ${state}  created ${u.createdAt}  nickname ${u.nickname ?? "-"}  phone ${u.phone ?? "-"}`;
  const ids = u.identities.map((i) => `  ${i.appid}  openid ${i.openid}  unionid ${i.unionid ?? "-"}  since ${i.createdAt}`);
  return [head, ...ids].join("\n");
}
const by = { actor: "cli" as const, ip: null };

const COMMANDS: Record<string, Run> = {
  "sessions list": async (deps, arg) => {
    const sessions = (await listUserSessions(deps, userIdParam(arg))).map(presentSessionListItem);
    const text = sessions.length
      ? sessions
          .map((s) => `${s.sessionId}  created ${s.createdAt}  last seen ${s.lastSeenAt}  expires ${s.expiresAt}  ${s.ip}  ${s.userAgent}`)
          .join("\n")
      : "no live sessions";
    return { json: { sessions }, text };
  },
  "sessions revoke": async (deps, arg) => {
    await revokeSession(deps, arg, by);
    return { json: { revoked: 1 }, text: `revoked ${arg}` };
  },
  "sessions revoke-all": async (deps, arg) => {
    const revoked = await revokeAllSessions(deps, userIdParam(arg), by);
    return { json: { revoked }, text: `revoked ${revoked} session(s)` };
  },
  "users show": async (deps, arg) => {
    const user = presentAdminUser(await showUser(deps, userIdParam(arg)));
    return { json: user, text: userText(user) };
  },
  "users find": async (deps, _arg, opts) => {
    const users = (await findUsers(deps, opts)).map(presentAdminUser);
    return { json: { users }, text: users.length ? users.map(userText).join("\n") : "no such user" };
  },
  "users delete": async (deps, arg) => {
    const revoked = await deleteAccount(deps, userIdParam(arg), by);
    return { json: { deleted: true, revoked }, text: `deleted user ${arg}'s account; revoked ${revoked} session(s)` };
  },
  "users ban": async (deps, arg, { reason }) => {
    const result = await banUser(deps, userIdParam(arg), reason, by);
    return { json: result, text: `banned user ${arg}; revoked ${result.revoked} session(s)` };
  },
  "users unban": async (deps, arg) => {
    const result = await unbanUser(deps, userIdParam(arg), by);
    return { json: result, text: `unbanned user ${arg}` };
  },
};

const OPTIONS = {
  json: { type: "boolean" },
  reason: { type: "string" },
  openid: { type: "string" },
  unionid: { type: "string" },
  phone: { type: "string" },
  help: { type: "boolean" },
} as const;

function parse(argv: string[]) {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [group, verb, arg, ...rest] = parsed.positionals;
  const name = `${group} ${verb}`;
  const run = COMMANDS[name];
  if (!run) throw new UsageError(group ? `unknown command "${[group, verb].filter(Boolean).join(" ")}"` : "no command given");
  const { reason, openid, unionid, phone } = parsed.values;
  if (name === "users find") {
    if (arg) throw new UsageError('"users find" takes --openid, --unionid or --phone, not an argument');
  } else if (!arg || rest.length) {
    throw new UsageError(`"${name}" takes exactly one argument`);
  }
  if (reason !== undefined && name !== "users ban") throw new UsageError("--reason goes with users ban");
  if ((openid ?? unionid ?? phone) !== undefined && name !== "users find")
    throw new UsageError("--openid, --unionid and --phone go with users find");
  return { run, arg: arg ?? "", json: parsed.values.json ?? false, opts: { reason: reason ?? null, openid, unionid, phone } };
}

/**
 * The line of an error message that says what went wrong: Prisma's messages open with an excerpt
 * of the calling source and end with the reason ("Can't reach database server at ...").
 */
function lastLine(message: string): string {
  return (
    message
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? message
  );
}

async function main(argv: string[]): Promise<number> {
  let command: ReturnType<typeof parse>;
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      console.log(USAGE);
      return 0;
    }
    command = parse(argv);
  } catch (err) {
    console.error(`tongxing admin: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  let deps: AppDeps | undefined;
  try {
    const config = loadConfig();
    // Logs go to stderr so that --json output on stdout stays parseable.
    deps = await connectBackends(config, createLogger("warn", process.stderr as never));
    const out = await command.run(deps, command.arg, command.opts);
    console.log(command.json ? JSON.stringify(out.json) : out.text);
    return 0;
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    const error =
      err instanceof AppError
        ? { code: err.code, message: cause ? `${err.message} (${lastLine(cause.message)})` : err.message }
        : err instanceof ConfigError
          ? { code: "INVALID_CONFIGURATION", message: err.message }
          : { code: "SERVICE_UNAVAILABLE", message: lastLine((err as Error).message) };
    if (command.json) console.log(JSON.stringify({ error }));
    else console.error(`tongxing admin: ${error.code}: ${error.message}`);
    return error.code === "INVALID_REQUEST" ? 2 : 1;
  } finally {
    if (deps) {
      await deps.audit.flush();
      await Promise.allSettled([deps.redis.quit(), deps.prisma.$disconnect()]);
    }
  }
}

process.exitCode = await main(process.argv.slice(2));
