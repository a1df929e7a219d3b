/**
 * The container, as far as it can be checked without a container engine: the Dockerfile and
 * compose.yaml parsed and checked, and the image's exact start command run from a
 * production-only install (`npm ci --omit=dev --omit=optional`) of a fresh build.
 * test/image.test.ts builds and runs the image itself with podman.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { parse } from "yaml";
import { checkProductionStart } from "./process.js";

const exec = promisify(execFile);
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

test("Dockerfile: multi-stage, pinned base, non-root, healthcheck, no secrets, runs dist/main.js", async () => {
  const text = await readFile("Dockerfile", "utf8");
  const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1] as string);
  assert.ok(froms.length >= 2, "multi-stage");
  for (const image of froms) assert.match(image, /^node:24\.\d+\.\d+-(bookworm-slim|alpine)/, `${image} pinned`);
  assert.match(text, /npm ci --omit=dev/);
  assert.match(text, /^USER (?!root)\S+/m);
  assert.match(text, /^EXPOSE 3000$/m);
  assert.match(text, /^HEALTHCHECK .*\n?.*\/healthz/m);
  assert.match(text, /HOST=0\.0\.0\.0/);
  assert.match(text, /^CMD \["node", "--no-allocation-site-pretenuring", "dist\/main\.js"\]$/m);
  assert.doesNotMatch(text, /^(ENV|ARG) .*(SECRET|TOKEN|ENCRYPTION_KEY|PASSWORD)/m, "no secrets baked in");
  // The build secrets (a CA bundle, an .npmrc) are optional and mounted only where npm runs.
  const secretRuns = text.split(/\n(?=[A-Z]+ )/).filter((step) => step.includes("type=secret"));
  assert.equal(secretRuns.length, 2, "the two npm ci steps");
  for (const step of secretRuns) {
    for (const mount of step.match(/--mount=type=secret\S*/g) ?? []) assert.match(mount, /,required=false$/, mount);
    assert.match(step, /npm ci/);
  }
  const ignore = await readFile(".dockerignore", "utf8");
  for (const entry of ["node_modules", ".git", ".env"]) assert.ok(ignore.split("\n").includes(entry), entry);
});

test("compose.yaml: migrations run once as their own step on a healthy PostgreSQL; tongxing waits for them and a healthy Redis", async () => {
  const compose = parse(await readFile("compose.yaml", "utf8"));
  const { tongxing, redis, postgres, migrate } = compose.services;
  for (const s of [tongxing, redis, postgres]) assert.ok(s.healthcheck?.test, "each service has a health check");
  assert.deepEqual(migrate.command, ["node", "dist/main.js", "migrate"]);
  assert.equal(migrate.build, ".");
  assert.deepEqual(migrate.depends_on, { postgres: { condition: "service_healthy" } });
  assert.equal(migrate.environment.DATABASE_URL, tongxing.environment.DATABASE_URL);
  assert.deepEqual(tongxing.depends_on, {
    migrate: { condition: "service_completed_successfully" },
    redis: { condition: "service_healthy" },
  });
  assert.equal(tongxing.environment.MIGRATE_ON_START, "false");
  assert.equal(tongxing.environment.HOST, "0.0.0.0");
  assert.match(tongxing.environment.DATABASE_URL, /@postgres:5432\//);
  assert.match(tongxing.environment.REDIS_URL, /^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379$/);
  assert.equal(tongxing.build, ".");
});

test("compose.yaml is safe to copy: production mode, secrets from .env, persistent Redis and PostgreSQL, restarts, readiness", async () => {
  const text = await readFile("compose.yaml", "utf8");
  const compose = parse(text);
  const { tongxing, redis, postgres } = compose.services;
  assert.equal(tongxing.environment.NODE_ENV, "production");
  for (const name of ["WECHAT_APPID", "WECHAT_SECRET", "SESSION_KEY_ENCRYPTION_KEY", "SERVICE_TOKEN"]) {
    assert.match(tongxing.environment[name], new RegExp(`^\\$\\{${name}:\\?`), `${name} is required, with no default`);
  }
  for (const name of ["METRICS_TOKEN", "TRUSTED_PROXIES", "LOG_LEVEL", "SERVICE_TOKEN", "CORS_ORIGINS", "ADMIN_TOKEN"]) {
    assert.match(String(tongxing.environment[name]), new RegExp(`\\$\\{${name}[:}]`), `${name} is passed through`);
  }
  assert.match(postgres.environment.POSTGRES_PASSWORD, /^\$\{POSTGRES_PASSWORD:\?/, "no inline PostgreSQL password");
  assert.doesNotMatch(tongxing.environment.DATABASE_URL, /postgres:postgres@/);
  assert.ok(redis.command.includes("--appendonly") && redis.command[redis.command.indexOf("--appendonly") + 1] === "yes", "Redis AOF");
  assert.ok(
    redis.volumes?.some((v: string) => v.endsWith(":/data")),
    "Redis data on a volume",
  );
  assert.ok(
    postgres.volumes?.some((v: string) => v.endsWith(":/var/lib/postgresql/data")),
    "PostgreSQL data on a volume",
  );
  for (const [name, service] of Object.entries(compose.services)) {
    // The migration job runs once; everything else comes back after a crash or a reboot.
    assert.equal((service as { restart?: string }).restart, name === "migrate" ? "no" : "unless-stopped", `${name} restarts`);
  }
  assert.match(tongxing.healthcheck.test.join(" "), /\/readyz/, "readiness, not liveness");
  // Every variable compose reads is documented in .env.example.
  const documented = new Set([...(await readFile(".env.example", "utf8")).matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
  for (const [, name] of text.matchAll(/\$\{([A-Z_]+)/g)) assert.ok(documented.has(name), `${name} in .env.example`);
});

test("compose.yaml: Redis 7.4 pinned, AOF on, noeviction, a password from .env that the health check uses too", async () => {
  const { redis, tongxing } = parse(await readFile("compose.yaml", "utf8")).services;
  assert.match(redis.image, /^redis:7\.4\.\d+-bookworm$/, "a pinned Redis 7.4 patch release");
  const arg = (name: string) => redis.command[redis.command.indexOf(name) + 1];
  assert.equal(arg("--appendonly"), "yes");
  assert.equal(arg("--maxmemory-policy"), "noeviction", "an evicting policy would log users out silently");
  assert.match(arg("--requirepass"), /^\$\{REDIS_PASSWORD:\?/, "the password comes from .env, required");
  // redis-cli reads REDISCLI_AUTH, so the health check authenticates without the password in its argv.
  assert.match(redis.environment.REDISCLI_AUTH, /^\$\{REDIS_PASSWORD:\?/);
  assert.match(redis.healthcheck.test.join(" "), /redis-cli ping \| grep -q PONG/);
  assert.ok(tongxing.environment.REDIS_URL.includes("${REDIS_PASSWORD"), "tongxing authenticates");
  assert.equal(tongxing.environment.REDIS_EVICTION_CHECK, undefined, "the default (warn) is enough: the policy is set here");
});

test("compose.mysql.yaml: the migrate job and tongxing use a healthy MySQL, its password from .env", async () => {
  const text = await readFile("compose.mysql.yaml", "utf8");
  const { mysql, migrate, tongxing } = parse(text).services;
  assert.match(mysql.image, /^mysql:8\.\d+\.\d+$/, "pinned MySQL 8");
  assert.ok(
    mysql.volumes.some((v: string) => v.endsWith(":/var/lib/mysql")),
    "data on a volume",
  );
  assert.ok(mysql.healthcheck);
  assert.equal(migrate.depends_on.mysql.condition, "service_healthy");
  for (const service of [migrate, tongxing])
    assert.match(service.environment.DATABASE_URL, /^mysql:\/\/root:\$\{MYSQL_ROOT_PASSWORD:\?[^}]+\}@mysql:3306\/tongxing/);
  const documented = new Set([...(await readFile(".env.example", "utf8")).matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
  for (const [, name] of text.matchAll(/\$\{([A-Z_]+)/g)) assert.ok(documented.has(name), `${name} in .env.example`);
});

test("compose.yaml: the nginx gateway renders the template and fronts tongxing and the business API", async () => {
  const compose = parse(await readFile("compose.yaml", "utf8"));
  const { gateway, tongxing, "business-api": app } = compose.services;
  assert.match(gateway.image, /^nginx:\d+\.\d+\.\d+/, "pinned official nginx image");
  assert.ok(
    gateway.volumes.includes("./examples/nginx/tongxing.conf.template:/etc/nginx/templates/tongxing.conf.template:ro"),
    "template mounted where the image renders it",
  );
  assert.deepEqual(Object.keys(gateway.environment).sort(), [
    "APP_ADDR",
    "HTTP_PORT",
    "LISTEN_PORT",
    "RESOLVER",
    "SERVICE_TOKEN",
    "TLS_CERT",
    "TLS_KEY",
    "TONGXING_ADDR",
  ]);
  assert.equal(gateway.environment.TONGXING_ADDR, "tongxing:3000");
  assert.equal(gateway.environment.APP_ADDR, `business-api:${app.environment.PORT}`);
  assert.equal(gateway.environment.SERVICE_TOKEN, tongxing.environment.SERVICE_TOKEN, "one SERVICE_TOKEN for both");
  assert.match(tongxing.environment.SERVICE_TOKEN, /^\$\{SERVICE_TOKEN:\?/, "required, no default secret");
  assert.deepEqual(gateway.depends_on, { tongxing: { condition: "service_healthy" }, "business-api": { condition: "service_healthy" } });
  assert.equal(app.ports, undefined, "the business API trusts gateway headers, so only the gateway may reach it");
  assert.equal(app.environment.TRUST_GATEWAY, "1");
  assert.equal(app.build.dockerfile, "examples/business-api/Dockerfile");
  await readFile(app.build.dockerfile, "utf8");
});

test("compose.yaml: the gateway serves HTTPS with the certificate from ./certs; plain HTTP only redirects", async () => {
  const { gateway } = parse(await readFile("compose.yaml", "utf8")).services;
  const env = gateway.environment;
  assert.deepEqual(gateway.ports.sort(), [`443:${env.LISTEN_PORT}`, `80:${env.HTTP_PORT}`]);
  assert.ok(gateway.volumes.includes("./certs:/etc/nginx/certs:ro"), "certificate and key mounted read-only");
  assert.equal(env.TLS_CERT, "/etc/nginx/certs/tls.crt");
  assert.equal(env.TLS_KEY, "/etc/nginx/certs/tls.key");
  const script = await readFile("scripts/self-signed-cert.sh", "utf8");
  assert.match(script, /\$\{1:-certs\}/, "the script writes to ./certs by default");
  assert.ok((await readFile(".gitignore", "utf8")).split("\n").includes("certs/"), "keys never committed");
  assert.ok((await readFile(".dockerignore", "utf8")).split("\n").includes("certs"), "keys never in the image");
});

test("compose.yaml: `--scale tongxing=3` works behind the gateway, which finds the replicas by name", async () => {
  const text = await readFile("compose.yaml", "utf8");
  const { gateway, tongxing } = parse(text).services;
  // A fixed host port (or container name) would make the second replica fail to start.
  assert.equal(tongxing.ports, undefined, "no host port on tongxing");
  assert.equal(tongxing.container_name, undefined);
  assert.equal(gateway.environment.TONGXING_ADDR, "tongxing:3000", "the service name: every replica's address");
  assert.equal(gateway.environment.RESOLVER, "127.0.0.11", "Docker's embedded DNS, asked again while nginx runs");
  const [major = 0, minor = 0, patch = 0] = (/^nginx:(\d+)\.(\d+)\.(\d+)/.exec(gateway.image)?.slice(1) ?? []).map(Number);
  assert.ok(major > 1 || minor > 27 || (minor === 27 && patch >= 3), "nginx 1.27.3+ for an upstream server's `resolve`");
  // Every replica reaches PostgreSQL and Redis by name, and believes only the gateway.
  assert.match(tongxing.environment.TRUSTED_PROXIES, /^\$\{TRUSTED_PROXIES:-172\.28\.0\.10\}$/);
  assert.equal(gateway.networks.default.ipv4_address, "172.28.0.10");
});

test("the image's start command runs from a production-only install of a build", { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "tongxing-prod-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // As the Dockerfile does: build with dev dependencies, then production dependencies only.
  await exec(process.execPath, ["scripts/build.mjs", "--outDir", path.join(dir, "dist")]);
  for (const f of ["package.json", "package-lock.json", "prisma"]) await cp(f, path.join(dir, f), { recursive: true });
  await exec("npm", ["ci", "--omit=dev", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: dir,
    timeout: 240_000,
  });

  await checkProductionStart(cleanups, ["--no-allocation-site-pretenuring", "dist/main.js"], dir);
});
