/**
 * System tools some suites need (nginx, Chromium): found on the PATH or at Debian's paths. A
 * suite whose tool is missing says so plainly: skipped outside CI, failing with CI=true (CI
 * installs them; .ci/run).
 */
import { accessSync, constants } from "node:fs";
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
