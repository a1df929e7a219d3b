#!/usr/bin/env node
/**
 * The operators' CLI (`npx tongxing-admin`, the package's bin; `npm run admin --` in a checkout,
 * after `npm run build`): the admin API's operations, talking to Redis and PostgreSQL directly.
 * It needs only DATABASE_URL, REDIS_URL (or REDIS_CLUSTER_NODES) and REDIS_KEY_PREFIX
 * (backends.ts); user commands touch only PostgreSQL, but for those that end sessions or change
 * what a session carries (ban, unban, restrict, unrestrict, delete). Writes the same audit trail,
 * with actor "cli".
 *
 * Exit status: 0 done, 1 the operation failed (unknown user or session, backend down),
 * 2 bad arguments.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadCliConfig } from "../config/config.js";
import { AppError } from "../errors.js";
import { createLogger } from "../log.js";
import { type CliBackends, cliBackends } from "./backends.js";
import { COMMANDS } from "./commands.js";

const USAGE = `usage: npx tongxing-admin <command> [--json]   (in a checkout: npm run -s admin -- <command>)
  sessions list <userId>          list a user's live sessions, newest first
  sessions revoke <sessionId>     revoke one session
  sessions revoke-all <userId>    revoke every session of a user
  users show <userId>             a user, their identities (platform, appid, openid, unionid),
                                  ban (and its end) and restrictions
  users list [--nickname p] [--platform p] [--limit n] [--cursor c]
                                  users newest first, or by nickname prefix (case-insensitive),
                                  or with an identity of a platform (wechat, douyin, ...);
                                  a page of n (1-200, default 50); --cursor: the page's "next"
  users find --openid o | --unionid u | --phone p
                                  users by exactly one of those (exact match, at most 50)
  users ban <userId> [--reason r] [--until iso]
                                  ban a user (revokes every session, refuses logins);
                                  --until: the ban lifts itself then (ISO 8601, in the future)
  users unban <userId>            lift a ban
  users restrict <userId> --name n [--reason r] [--until iso]
                                  a partial ban: take "n" away (comment, post: your API's word,
                                  a-z then up to 31 of a-z 0-9 _ -); the user keeps their sessions
  users unrestrict <userId> --name n
                                  lift restriction "n"; both print the user's restrictions
  users delete <userId>           delete the account (sessions, identities, profile)`;

class UsageError extends Error {}

const OPTIONS = {
  json: { type: "boolean" },
  reason: { type: "string" },
  until: { type: "string" },
  name: { type: "string" },
  openid: { type: "string" },
  unionid: { type: "string" },
  phone: { type: "string" },
  nickname: { type: "string" },
  platform: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  help: { type: "boolean" },
} as const;

/** The options each command takes besides --json; any other is refused. */
const TAKES: Record<string, readonly string[]> = {
  "users list": ["nickname", "platform", "limit", "cursor"],
  "users find": ["openid", "unionid", "phone"],
  "users ban": ["reason", "until"],
  "users restrict": ["name", "reason", "until"],
  "users unrestrict": ["name"],
};

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
  if (name === "users find" || name === "users list") {
    const takes = name === "users find" ? "--openid, --unionid or --phone" : "--nickname, --platform, --limit or --cursor";
    if (arg) throw new UsageError(`"${name}" takes ${takes}, not an argument`);
  } else if (!arg || rest.length) {
    throw new UsageError(`"${name}" takes exactly one argument`);
  }
  const allowed = TAKES[name] ?? [];
  const stray = Object.keys(parsed.values).find((o) => o !== "json" && o !== "help" && !allowed.includes(o));
  if (stray) {
    const which = allowed.length ? `: it takes ${allowed.map((o) => `--${o}`).join(", ")}` : "";
    throw new UsageError(`--${stray} does not go with ${name}${which}`);
  }
  const { reason, until, name: restriction, openid, unionid, phone, nickname, platform, limit, cursor } = parsed.values;
  const opts = { reason: reason ?? null, until, name: restriction, openid, unionid, phone, nickname, platform, limit, cursor };
  return { run, arg: arg ?? "", json: parsed.values.json ?? false, opts };
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
  let backends: CliBackends | undefined;
  try {
    // Logs go to stderr so that --json output on stdout stays parseable.
    backends = cliBackends(loadCliConfig(), createLogger("warn", process.stderr as never));
    const out = await command.run(backends, command.arg, command.opts);
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
    await backends?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
