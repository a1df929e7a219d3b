/**
 * Configuration: the only reader of process.env. Parsed once at start with zod; a bad value
 * stops the process with a message that names the variable (never its value, which may be a
 * secret).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseWebhooks, type WebhookEndpoint } from "../events/webhooksConfig.js";
import { type ProxyTrust, parseProxyList } from "../middlewares/clientIp.js";
import { DEV_APPS, parseAllApps } from "../platforms/appsConfig.js";
import { DEFAULT_API_BASES } from "../platforms/exchanges.js";
import type { App, Platform } from "../platforms/types.js";
import { parseApps } from "../wechat/appConfig.js";
import { readSecretFiles } from "./secretFiles.js";

const positiveInt = z.coerce.number().int().positive();
const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/**
 * SESSION_KEY_ENCRYPTION_KEY: a keyring of 32-byte base64 keys, comma-separated, newest first
 * (sessionKeyVault.ts seals with the first and opens with any). A bad key is named by its place
 * in the list, never by its value.
 */
const keyring = z.string().superRefine((v, ctx) => {
  const keys = v.split(",").map((k) => k.trim());
  keys.forEach((k, i) => {
    if (Buffer.from(k, "base64").length === 32) return;
    const which = keys.length > 1 ? ` (key ${i + 1} of ${keys.length})` : "";
    ctx.addIssue({ code: "custom", message: `must be 32 bytes, base64-encoded (openssl rand -base64 32)${which}` });
  });
  if (new Set(keys).size !== keys.length) ctx.addIssue({ code: "custom", message: "lists the same key twice" });
});

/**
 * A shared secret: RFC 6750's b64token characters (A-Z a-z 0-9 - . _ ~ + / =), which covers
 * `openssl rand -hex 32`, base64 and base64url. Each is plain text both in an HTTP header and
 * inside an nginx "string": SERVICE_TOKEN is pasted into the gateway template, where `$` starts
 * a variable, `"` ends the string and `\` escapes, so a wider alphabet made nginx refuse the file
 * or, worse, send a different token than tongxing's.
 */
const secretToken = (minLength: number) =>
  optionalNonEmpty.pipe(
    z
      .string()
      .regex(
        new RegExp(`^[A-Za-z0-9._~+/=-]{${minLength},512}$`),
        `must be ${minLength} to 512 characters of A-Z a-z 0-9 - . _ ~ + / = (openssl rand -hex 32)`,
      )
      .optional(),
  );

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  REDIS_URL: z.string().url().default("redis://127.0.0.1:6379"),
  /** "host:port,host:port": seed nodes of a Redis Cluster; set, it replaces REDIS_URL. */
  REDIS_CLUSTER_NODES: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, "must be host:port,host:port,...")
      .optional(),
  ),
  /** A PEM CA bundle the Redis server's certificate must chain to; with a rediss:// REDIS_URL. */
  REDIS_TLS_CA_FILE: optionalNonEmpty,
  /** At start, whether an evicting maxmemory-policy warns, stops the start, or is not checked. */
  REDIS_EVICTION_CHECK: z.enum(["warn", "refuse", "off"]).default("warn"),
  /** Prefix for every Redis key; lets several deployments (or test runs) share one Redis. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,32}$/)
    .default("tx:"),
  DATABASE_URL: z.string().url().default("postgresql://postgres@127.0.0.1:5432/tongxing"),
  WECHAT_APPID: optionalNonEmpty,
  WECHAT_SECRET: optionalNonEmpty,
  /** Several mini-programs: a JSON array of {appid, secret, name?}; the first is the primary app. */
  WECHAT_APPS: optionalNonEmpty,
  /**
   * Every platform's mini-programs: a JSON array of {platform, appid, secret, name?} (Alipay:
   * privateKey and alipayPublicKey instead of secret); the first is the primary app.
   */
  APPS: optionalNonEmpty,
  DOUYIN_API_BASE: z.string().url().default(DEFAULT_API_BASES.douyin),
  ALIPAY_GATEWAY: z.string().url().default(DEFAULT_API_BASES.alipay),
  QQ_API_BASE: z.string().url().default(DEFAULT_API_BASES.qq),
  BAIDU_API_BASE: z.string().url().default(DEFAULT_API_BASES.baidu),
  KUAISHOU_API_BASE: z.string().url().default(DEFAULT_API_BASES.kuaishou),
  /** Milliseconds for one HTTP call to a platform other than WeChat. */
  PLATFORM_TIMEOUT: positiveInt.default(5000),
  WECHAT_API_BASE: z.string().url().default("https://api.weixin.qq.com"),
  /** Seconds an encryptedData watermark may be old; 0 disables the check. */
  WECHAT_WATERMARK_MAX_AGE: z.coerce.number().int().min(0).default(86400),
  /** Milliseconds for one WeChat HTTP call. */
  WECHAT_TIMEOUT: positiveInt.default(5000),
  /** Seconds of inactivity after which a session dies (OWASP ASVS V3.3 idle timeout). */
  SESSION_IDLE_TTL: positiveInt.default(604800),
  /** Seconds after login at which a session dies however busy (ASVS V3.3 absolute timeout). */
  SESSION_MAX_AGE: positiveInt.default(2592000),
  SESSIONS_PER_USER_MAX: positiveInt.max(1000).default(10),
  /** The process-local session cache kept exact by Redis (verifier/src/sessionCache.ts). */
  SESSION_CACHE: z.enum(["on", "off"]).default("on"),
  /** Milliseconds a cached session may be used at most (a safety net under the invalidations). */
  SESSION_CACHE_TTL: positiveInt.max(3_600_000).default(60_000),
  /** Sessions the cache holds at most (least recently used users go first). */
  SESSION_CACHE_MAX: positiveInt.max(10_000_000).default(100_000),
  SESSION_KEY_ENCRYPTION_KEY: optionalNonEmpty.pipe(keyring.optional()),
  TOKEN_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, "must be an HTTP header name")
    .default("X-WX-Token"),
  /** Enables the admin API; at least 32 characters. Unset: the /admin routes answer 404. */
  ADMIN_TOKEN: secretToken(32),
  /**
   * Shared with the team's gateway and backends: with it, /auth/verify also answers the openid
   * and unionid. Unset, they are never sent.
   */
  SERVICE_TOKEN: secretToken(32),
  /** Enables bearer auth on /metrics; unset, /metrics is open (keep the port private). */
  METRICS_TOKEN: secretToken(1),
  /**
   * A second listener serving only /metrics, for a private network (0: any free port). Set, the
   * main port no longer serves /metrics.
   */
  METRICS_PORT: optionalNonEmpty.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).optional()),
  /**
   * Seconds a login stays idempotent per wx.login code: a retry with the same code from the same
   * client (User-Agent, IPv4 /24 or IPv6 /64) gets the same token (commands/loginReplay.ts). 0
   * turns it off. A code lives 5 minutes at WeChat.
   */
  LOGIN_REPLAY_WINDOW: z.coerce.number().int().min(0).max(300).default(300),
  /** Login attempts per minute per client IP. */
  LOGIN_RATE_LIMIT: positiveInt.default(30),
  /** Calls to WeChat (checkSessionKey, getPhoneNumber) per minute per user: the app's quota is shared. */
  WECHAT_CALL_RATE_LIMIT: positiveInt.default(10),
  /**
   * Comma-separated X-Tongxing-Caller names that get their own metrics series and rate-limit
   * budget; any other name is counted as "other", so a service-token holder cannot mint series.
   */
  CALLER_NAMES: optionalNonEmpty.pipe(
    z
      .string()
      .regex(
        /^[A-Za-z0-9_.-]{1,32}(\s*,\s*[A-Za-z0-9_.-]{1,32}){0,99}$/,
        "must be at most 100 comma-separated names of 1 to 32 of A-Z a-z 0-9 _ . -",
      )
      .optional(),
  ),
  /** /internal requests per minute per caller (as CALLER_NAMES counts it) and client IP. */
  INTERNAL_RATE_LIMIT: positiveInt.default(600),
  /**
   * The proxies whose X-Forwarded-For entries are believed for the client IP (clientIp.ts):
   * comma-separated IPs and CIDRs, or loopback, linklocal, uniquelocal. Unset: none.
   */
  TRUSTED_PROXIES: optionalNonEmpty.pipe(
    z
      .string()
      .refine(
        (v) => parseProxyList(v) !== undefined,
        "must be comma-separated IP addresses or CIDRs (10.0.0.0/8), or loopback, linklocal, uniquelocal",
      )
      .optional(),
  ),
  /** Deprecated for TRUSTED_PROXIES: true believes the nearest hop, whoever connected. */
  TRUST_PROXY: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  /** Seconds an instance waits for another one's migrations at start. */
  MIGRATION_LOCK_TIMEOUT: positiveInt.default(120),
  /**
   * Create the database and apply pending migrations at start. `false` (production, with
   * `tongxing migrate` run as its own step first): the service changes no schema and waits while
   * migrations are pending.
   */
  MIGRATE_ON_START: z.enum(["true", "false"]).default("true"),
  /**
   * Seconds a start waits for PostgreSQL and Redis (or a Redis Cluster) to be ready before it
   * gives up with exit code 1; a stack started together brings tongxing up before them.
   */
  STARTUP_TIMEOUT: positiveInt.default(120),
  /**
   * Seconds between SIGTERM and closing the listener, with /readyz already 503, so a load
   * balancer polling readiness stops sending first. Default 5 in production, 0 otherwise.
   */
  SHUTDOWN_DELAY: optionalNonEmpty.pipe(z.coerce.number<string | undefined>().min(0).max(300).optional()),
  /** Seconds to let in-flight requests finish on SIGTERM/SIGINT. */
  SHUTDOWN_TIMEOUT: positiveInt.default(10),
  /**
   * Seconds a client has to send a whole request (headers within half of it): a body trickled a
   * byte at a time cannot hold a socket for minutes (slowloris; OWASP ASVS V13.1.4-style limits).
   */
  REQUEST_TIMEOUT: positiveInt.max(3600).default(30),
  /** Comma-separated origins allowed by CORS; unset, no CORS headers at all. */
  CORS_ORIGINS: optionalNonEmpty,
  /**
   * Where events go (src/events/): a JSON array of {url, secret, events?, includeOpenid?}. Unset
   * or []: nothing is recorded or sent.
   */
  WEBHOOKS: optionalNonEmpty,
  /** Seconds a delivered event is kept (the admin API lists it meanwhile). */
  WEBHOOK_RETENTION: positiveInt.default(604800),
  /** Seconds a receiver has to answer one delivery attempt. */
  WEBHOOK_TIMEOUT: positiveInt.max(60).default(10),
  /** Seconds between a failed attempt and the next, comma-separated; the last step repeats. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\s*[1-9]\d{0,6}(\s*,\s*[1-9]\d{0,6}){0,19}\s*$/, "must be 1 to 20 comma-separated whole seconds (5,30,120)")
    .default("5,30,120,600,3600,14400"),
  /** Seconds after an event is recorded (or an operator retries it) until a failed attempt marks it failed. */
  WEBHOOK_GIVE_UP_AFTER: positiveInt.default(259200),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Write each event-loop turn's responses together (middlewares/batchResponses.ts). */
  RESPONSE_BATCHING: z.enum(["on", "off"]).default("on"),
});

/** The parsed, validated configuration handed to createApp and the clients. */
export interface Config {
  nodeEnv: "development" | "production" | "test";
  port: number;
  host: string;
  redisUrl: string;
  redisKeyPrefix: string;
  redisClusterNodes: string | undefined;
  /** The contents of REDIS_TLS_CA_FILE (PEM), or undefined for Node's default CAs. */
  redisTlsCa: Buffer | undefined;
  /** REDIS_EVICTION_CHECK (clients/redisEviction.ts). */
  redisEvictionCheck: "warn" | "refuse" | "off";
  databaseUrl: string;
  /**
   * The configured mini-programs of every platform, the primary one first: APPS, WECHAT_APPS, or
   * the one app of WECHAT_APPID/WECHAT_SECRET, or in dev mode the built-in fakes' apps.
   */
  apps: App[];
  /** True when no app was configured: the built-in fakes of every platform answer instead. */
  devMode: boolean;
  /** Where the platforms other than WeChat are called. */
  platforms: {
    /** Each platform's API base without a trailing slash (Alipay: the gateway's URL). */
    apiBases: Record<Exclude<Platform, "wechat">, string>;
    /** Milliseconds per HTTP attempt. */
    timeoutMs: number;
  };
  wechat: {
    apiBase: string;
    /** Milliseconds per HTTP attempt. */
    timeoutMs: number;
    /** Seconds; 0: no check. */
    watermarkMaxAge: number;
  };
  session: {
    /** Seconds. */
    idleTtl: number;
    /** Seconds. */
    maxAge: number;
    maxPerUser: number;
    /** 32-byte AES-256-GCM keys for session_key at rest, newest (the sealing one) first. */
    sessionKeyEncryptionKeys: Buffer[];
    /** True when the key was made up at start (dev mode): session_keys die with the process. */
    ephemeralKey: boolean;
    /** The process-local cache: off, or its limits (ms, sessions). */
    cache: { ttlMs: number; maxSessions: number } | null;
  };
  /** Lower-cased header name the token is read from. */
  tokenHeader: string;
  /** The admin API's bearer token, or undefined when the admin API is off. */
  adminToken: string | undefined;
  metricsToken: string | undefined;
  /** The private metrics listener's port, or undefined for none. */
  metricsPort: number | undefined;
  /** The gateway's and backends' shared secret (X-Tongxing-Service-Token), or undefined. */
  serviceToken: string | undefined;
  /** Per minute per IP. */
  loginRateLimit: number;
  /** Per minute per user. */
  wechatCallRateLimit: number;
  /** Seconds; 0: off. */
  loginReplayWindow: number;
  /** X-Tongxing-Caller names counted by name (CALLER_NAMES); others are "other". */
  callerNames: string[];
  /** Per minute per caller and IP (INTERNAL_RATE_LIMIT). */
  internalRateLimit: number;
  /** Whose X-Forwarded-For entries are believed: CIDRs (none when empty), or the nearest hop. */
  trustedProxies: ProxyTrust;
  /** Seconds. */
  shutdownTimeout: number;
  /** Seconds to wait for another instance's migrations at start. */
  migrationLockTimeout: number;
  /** MIGRATE_ON_START: create the database and apply migrations before serving. */
  migrateOnStart: boolean;
  /** Seconds a start waits for its backends before exiting 1 (STARTUP_TIMEOUT). */
  startupTimeout: number;
  /** Seconds /readyz answers 503 before the listener closes (SHUTDOWN_DELAY). */
  shutdownDelay: number;
  /** Seconds for a whole request to arrive (REQUEST_TIMEOUT). */
  requestTimeout: number;
  corsOrigins: string[];
  logLevel: string;
  /** Events for the team's other backends (WEBHOOKS and the WEBHOOK_ settings; src/events/). */
  webhooks: WebhooksConfig;
  /** RESPONSE_BATCHING: hold a ready response until its turn's I/O is handled (batchResponses.ts). */
  responseBatching: boolean;
}

/** WEBHOOKS and the WEBHOOK_ settings, durations in seconds. */
export interface WebhooksConfig {
  /** None: nothing is recorded or sent. */
  endpoints: WebhookEndpoint[];
  /** Seconds per attempt. */
  timeout: number;
  /** Seconds after the 1st, 2nd, ... failed attempt; the last repeats. */
  retrySchedule: number[];
  /** Seconds an event is retried for, from when it was recorded or an operator retried it. */
  giveUpAfter: number;
  /** Seconds a delivered event is kept. */
  retention: number;
}

export { APPID_PATTERN, DEV_WECHAT, type WechatApp } from "../wechat/appConfig.js";

/** Thrown by loadConfig; the message names each bad variable and why. */
export class ConfigError extends Error {}

/** What the admin CLI needs: the database, Redis and its prefix, and how long to wait for them. */
export type CliConfig = Pick<Config, "databaseUrl" | "redisUrl" | "redisKeyPrefix" | "redisClusterNodes" | "startupTimeout">;

/**
 * Parses the admin CLI's part of the environment: DATABASE_URL, REDIS_URL (or
 * REDIS_CLUSTER_NODES), REDIS_KEY_PREFIX and STARTUP_TIMEOUT, each X_FILE read in. Nothing else is
 * read, so an operator's shell needs none of the service's secrets.
 * @throws ConfigError naming every invalid variable
 */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const e = parseSome(
    env,
    envSchema.pick({ DATABASE_URL: true, REDIS_URL: true, REDIS_CLUSTER_NODES: true, REDIS_KEY_PREFIX: true, STARTUP_TIMEOUT: true }),
  );
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    startupTimeout: e.STARTUP_TIMEOUT,
  };
}

/** What `tongxing migrate` needs: the database, the lock and start waits, the log level. */
export type MigrateConfig = Pick<Config, "databaseUrl" | "migrationLockTimeout" | "startupTimeout" | "logLevel">;

/**
 * Parses only the variables `tongxing migrate` reads, so a migration job needs DATABASE_URL (or
 * DATABASE_URL_FILE) and none of the service's secrets.
 * @throws ConfigError naming every invalid variable, or an X_FILE problem
 */
export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
  const e = parseSome(env, envSchema.pick({ DATABASE_URL: true, MIGRATION_LOCK_TIMEOUT: true, STARTUP_TIMEOUT: true, LOG_LEVEL: true }));
  return {
    databaseUrl: e.DATABASE_URL,
    migrationLockTimeout: e.MIGRATION_LOCK_TIMEOUT,
    startupTimeout: e.STARTUP_TIMEOUT,
    logLevel: e.LOG_LEVEL,
  };
}

/** Some of the variables (envSchema or a pick of it), each X_FILE read in, validated as loadConfig validates them. */
function parseSome<S extends z.ZodType>(env: NodeJS.ProcessEnv, schema: S): z.infer<S> {
  const files = readSecretFiles(env);
  if (files.problems.length) throw new ConfigError(`Invalid configuration:\n${files.problems.join("\n")}`);
  const parsed = schema.safeParse(files.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
/**
 * Parses the environment, with each secret variable's X_FILE read in (secretFiles.ts).
 * @param env - usually process.env
 * @throws ConfigError naming every invalid variable; in production also when WECHAT_APPID,
 *   WECHAT_SECRET or SESSION_KEY_ENCRYPTION_KEY is missing; X and X_FILE both set, or an X_FILE
 *   that cannot be read
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseSome(env, envSchema);
  const problems: string[] = [];
  if ((e.WECHAT_APPID === undefined) !== (e.WECHAT_SECRET === undefined)) {
    problems.push("  WECHAT_APPID and WECHAT_SECRET: set both, or neither for dev mode");
  }
  if (e.APPS !== undefined && (e.WECHAT_APPS !== undefined || e.WECHAT_APPID !== undefined || e.WECHAT_SECRET !== undefined)) {
    problems.push(
      "  APPS and WECHAT_APPS or WECHAT_APPID/WECHAT_SECRET: set one form, not both (the WECHAT_ forms are the WeChat-only ones)",
    );
  } else if (e.WECHAT_APPS !== undefined && (e.WECHAT_APPID !== undefined || e.WECHAT_SECRET !== undefined)) {
    problems.push(
      "  WECHAT_APPS and WECHAT_APPID/WECHAT_SECRET: set one form, not both (WECHAT_APPID/WECHAT_SECRET is the one-app shorthand)",
    );
  }
  let apps: App[] = [];
  if (e.APPS !== undefined) {
    const parsedApps = parseAllApps(e.APPS);
    if (typeof parsedApps === "string") problems.push(parsedApps);
    else apps = parsedApps;
  } else if (e.WECHAT_APPS !== undefined) {
    const parsedApps = parseApps(e.WECHAT_APPS);
    if (typeof parsedApps === "string") problems.push(parsedApps);
    else apps = parsedApps.map((a) => ({ platform: "wechat", ...a }));
  } else if (e.WECHAT_APPID !== undefined && e.WECHAT_SECRET !== undefined) {
    apps = [{ platform: "wechat", appid: e.WECHAT_APPID, secret: e.WECHAT_SECRET, name: e.WECHAT_APPID }];
  }
  const devMode = e.APPS === undefined && e.WECHAT_APPS === undefined && (e.WECHAT_APPID === undefined || e.WECHAT_SECRET === undefined);
  if (devMode) apps = [...DEV_APPS];
  if (e.NODE_ENV === "production") {
    if (devMode)
      problems.push("  WECHAT_APPID, WECHAT_SECRET: required when NODE_ENV=production (or APPS for several mini-programs or platforms)");
    if (!e.SESSION_KEY_ENCRYPTION_KEY)
      problems.push("  SESSION_KEY_ENCRYPTION_KEY: required when NODE_ENV=production (or SESSION_KEY_ENCRYPTION_KEY_FILE)");
  }
  if (e.TRUST_PROXY && e.TRUSTED_PROXIES !== undefined) {
    problems.push("  TRUST_PROXY and TRUSTED_PROXIES: set TRUSTED_PROXIES only (TRUST_PROXY=true believes any caller)");
  }
  let endpoints: WebhookEndpoint[] = [];
  if (e.WEBHOOKS !== undefined) {
    const parsed = parseWebhooks(e.WEBHOOKS, devMode);
    if (typeof parsed === "string") problems.push(parsed);
    else endpoints = parsed;
  }
  const redisTlsCa = readRedisCa(e.REDIS_TLS_CA_FILE, e.REDIS_URL, problems);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisTlsCa,
    redisEvictionCheck: e.REDIS_EVICTION_CHECK,
    databaseUrl: e.DATABASE_URL,
    apps,
    devMode,
    platforms: {
      apiBases: {
        douyin: e.DOUYIN_API_BASE.replace(/\/+$/, ""),
        alipay: e.ALIPAY_GATEWAY,
        qq: e.QQ_API_BASE.replace(/\/+$/, ""),
        baidu: e.BAIDU_API_BASE.replace(/\/+$/, ""),
        kuaishou: e.KUAISHOU_API_BASE.replace(/\/+$/, ""),
      },
      timeoutMs: e.PLATFORM_TIMEOUT,
    },
    wechat: {
      apiBase: e.WECHAT_API_BASE.replace(/\/+$/, ""),
      timeoutMs: e.WECHAT_TIMEOUT,
      watermarkMaxAge: e.WECHAT_WATERMARK_MAX_AGE,
    },
    session: {
      idleTtl: e.SESSION_IDLE_TTL,
      maxAge: e.SESSION_MAX_AGE,
      maxPerUser: e.SESSIONS_PER_USER_MAX,
      sessionKeyEncryptionKeys: e.SESSION_KEY_ENCRYPTION_KEY
        ? e.SESSION_KEY_ENCRYPTION_KEY.split(",").map((k) => Buffer.from(k.trim(), "base64"))
        : [randomBytes(32)],
      ephemeralKey: !e.SESSION_KEY_ENCRYPTION_KEY,
      cache: e.SESSION_CACHE === "on" ? { ttlMs: e.SESSION_CACHE_TTL, maxSessions: e.SESSION_CACHE_MAX } : null,
    },
    tokenHeader: e.TOKEN_HEADER.toLowerCase(),
    adminToken: e.ADMIN_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    serviceToken: e.SERVICE_TOKEN,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    wechatCallRateLimit: e.WECHAT_CALL_RATE_LIMIT,
    loginReplayWindow: e.LOGIN_REPLAY_WINDOW,
    callerNames: e.CALLER_NAMES ? e.CALLER_NAMES.split(",").map((n) => n.trim()) : [],
    internalRateLimit: e.INTERNAL_RATE_LIMIT,
    trustedProxies: e.TRUST_PROXY ? "nearest-hop" : (parseProxyList(e.TRUSTED_PROXIES ?? "") ?? []),
    shutdownTimeout: e.SHUTDOWN_TIMEOUT,
    requestTimeout: e.REQUEST_TIMEOUT,
    migrationLockTimeout: e.MIGRATION_LOCK_TIMEOUT,
    migrateOnStart: e.MIGRATE_ON_START === "true",
    startupTimeout: e.STARTUP_TIMEOUT,
    shutdownDelay: e.SHUTDOWN_DELAY ?? (e.NODE_ENV === "production" ? 5 : 0),
    corsOrigins: e.CORS_ORIGINS
      ? e.CORS_ORIGINS.split(",")
          .map((o) => o.trim())
          .filter(Boolean)
      : [],
    logLevel: e.LOG_LEVEL,
    responseBatching: e.RESPONSE_BATCHING === "on",
    webhooks: {
      endpoints,
      timeout: e.WEBHOOK_TIMEOUT,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE.split(",").map((v) => Number(v.trim())),
      giveUpAfter: e.WEBHOOK_GIVE_UP_AFTER,
      retention: e.WEBHOOK_RETENTION,
    },
  };
}

/**
 * REDIS_TLS_CA_FILE read in, adding to `problems` when it cannot be read or when REDIS_URL does
 * not ask for TLS (a CA with redis:// would be silently unused, and the traffic unencrypted).
 */
function readRedisCa(file: string | undefined, url: string, problems: string[]): Buffer | undefined {
  if (file === undefined) return undefined;
  if (!url.startsWith("rediss://")) {
    problems.push("  REDIS_TLS_CA_FILE: set, but REDIS_URL is not rediss:// (TLS); use rediss://");
    return undefined;
  }
  try {
    return readFileSync(file);
  } catch (err) {
    problems.push(`  REDIS_TLS_CA_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    return undefined;
  }
}
