/**
 * The X_FILE form of each secret variable, for config.ts: Docker and Kubernetes secrets arrive
 * as files, and a value in a file stays out of `docker inspect`, the process's /proc/<pid>/environ
 * and the environment handed to child processes (OWASP ASVS V13.3.1: secrets from a secrets
 * store, not in plain environment or code). The file's content takes the variable's place and is
 * validated like it; one trailing newline (the one `echo` and editors add) is trimmed.
 */
import { readFileSync } from "node:fs";

/**
 * The variables that hold a secret or may carry one (a password inside DATABASE_URL or
 * REDIS_URL, the app secrets and keys inside WECHAT_APPS and APPS, the endpoints' secrets inside
 * WEBHOOKS); each also has an X_FILE form.
 */
export const SECRET_VARIABLES = [
  "WECHAT_SECRET",
  "WECHAT_APPS",
  "APPS",
  "SESSION_KEY_ENCRYPTION_KEY",
  "ADMIN_TOKEN",
  "SERVICE_TOKEN",
  "METRICS_TOKEN",
  "DATABASE_URL",
  "REDIS_URL",
  "WEBHOOKS",
] as const;

/**
 * The environment with every set X_FILE read into X.
 * @param env - usually process.env; not changed
 * @returns the new environment, and a line per problem for ConfigError: X and X_FILE both set
 *   (names only, never a value), or an X_FILE that cannot be read (its variable and path). An
 *   empty X counts as unset, as compose's `X: ${X:-}` gives.
 */
export function readSecretFiles(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; problems: string[] } {
  const out: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const path = env[`${name}_FILE`]?.trim();
    if (!path) continue;
    if (env[name]?.trim()) {
      problems.push(`  ${name} and ${name}_FILE: set one, not both`);
      continue;
    }
    try {
      out[name] = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      // The error code (ENOENT, EACCES, EISDIR) tells the operator what to fix; a file's path is
      // not a secret.
      problems.push(`  ${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  return { env: out, problems };
}
