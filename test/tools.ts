/**
 * System tools some suites need (nginx, Chromium): found on the PATH or at Debian's paths. A
 * suite whose tool is missing says so plainly: skipped outside CI, failing with CI=true (CI
 * installs them; .ci/run).
 */
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** A tool lookup: the executable's path, or why the tests that need it cannot run. */
export interface Tool {
  path: string | undefined;
  /** For node:test's `skip` option: false when the tool is there, or in CI (where it must be). */
  skip: string | false;
  /** The plain sentence a missing tool fails or skips with. */
  missing: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Looks for `name` on the PATH and at `extra` paths.
 * @param install - how to install it, for the message (e.g. "apt-get install -y nginx-light")
 */
export function findTool(name: string, install: string, extra: string[] = []): Tool {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const found = [...dirs.map((d) => path.join(d, name)), ...extra].find(executable);
  const missing = `${name} is not installed (${install}); the tests that need it ${process.env.CI === "true" ? "fail in CI" : "are skipped"}`;
  return { path: found, skip: found || process.env.CI === "true" ? false : missing, missing };
}

/** redis-server, for the suites that start private Redis servers or a Redis Cluster. */
export const redisServerTool = findTool("redis-server", "apt-get install -y redis-server");

/**
 * What a private PostgreSQL needs (failure/services.ts): initdb and pg_ctl from Debian's
 * PostgreSQL packages, and root with `runuser` and a `postgres` OS user, since PostgreSQL refuses
 * to run as root.
 */
export function postgresServerTool(): Tool {
  const versions = (() => {
    try {
      return readdirSync("/usr/lib/postgresql").sort();
    } catch {
      return [];
    }
  })();
  const bin = versions.length ? `/usr/lib/postgresql/${versions.at(-1)}/bin` : "";
  const problems = [
    ...(bin && executable(`${bin}/initdb`) && executable(`${bin}/pg_ctl`) ? [] : ["initdb and pg_ctl (apt-get install -y postgresql)"]),
    ...(findTool("runuser", "util-linux").path ? [] : ["runuser (util-linux)"]),
    ...(process.getuid?.() === 0 ? [] : ["root (PostgreSQL is run as the postgres user through runuser)"]),
    ...(/^postgres:/m.test(readText("/etc/passwd")) ? [] : ["a postgres OS user"]),
  ];
  if (!problems.length) return { path: bin, skip: false, missing: "" };
  const missing = `a private PostgreSQL needs ${problems.join(", ")}; the tests that need it ${process.env.CI === "true" ? "fail in CI" : "are skipped"}`;
  return { path: undefined, skip: process.env.CI === "true" ? false : missing, missing };
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Debian's Chromium, which the console suite drives with playwright-core (no browser download). */
export const chromiumTool = findTool("chromium", "apt-get install -y chromium", ["/usr/bin/chromium"]);
