/**
 * Configuration: the only reader of process.env. Parsed once at start with zod; a bad value
 * stops the process with a message that names the variable (never its value, which may be a
 * secret).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { parseWebhooks, type WebhookEndpoint } from "../events/webhooksConfig.js";
import { type ProxyTrust, parseProxyList } from "../middlewares/clientIp.js";
import { DEV_APPS, parseAllApps } from "../platforms/appsConfig.js";
import type { OtherPlatform } from "../platforms/exchanges.js";
import { type App, type Concurrency, isWebPlatform } from "../platforms/types.js";
import { parseReturnUrls, type ReturnUrlRule } from "../web/returnUrls.js";
import { parseApps } from "../wechat/appConfig.js";
import { type Env, envSchema } from "./env.js";
import { readSecretFiles } from "./secretFiles.js";

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
    apiBases: Record<OtherPlatform, string>;
    /** Milliseconds per HTTP attempt. */
    timeoutMs: number;
  };
  /** Web logins (wechat-oa, wechat-web apps); null when no web app is configured. */
  web: {
    /** PUBLIC_URL without a trailing slash. */
    publicUrl: string;
    returnUrls: ReturnUrlRule[];
    /** WECHAT_OPEN_BASE without a trailing slash. */
    openBase: string;
  } | null;
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
    /** SESSION_CONCURRENCY: for apps without their own `concurrency`. */
    concurrency: Concurrency;
    /** SESSIONS_PER_USER_OVERFLOW. */
    overflow: "evict-oldest" | "refuse-new";
    /** STEP_UP_TTL, seconds. */
    stepUpTtl: number;
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
  /** VERIFY_FAST_PATH: answer a live session's GET/HEAD /auth/verify before the app (verifyFastPath.ts). */
  verifyFastPath: boolean;
  /** LOG_BATCHING: write log lines to stdout in batches (logBatching.ts). */
  logBatching: boolean;
}

export { APPID_PATTERN, DEV_WECHAT, type WechatApp } from "../wechat/appConfig.js";

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
  const web = webConfig(e, apps, problems);
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
    web,
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
      concurrency: e.SESSION_CONCURRENCY,
      overflow: e.SESSIONS_PER_USER_OVERFLOW,
      stepUpTtl: e.STEP_UP_TTL,
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
    webhooks: {
      endpoints,
      timeout: e.WEBHOOK_TIMEOUT,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE.split(",").map((v) => Number(v.trim())),
      giveUpAfter: e.WEBHOOK_GIVE_UP_AFTER,
      retention: e.WEBHOOK_RETENTION,
    },
    responseBatching: e.RESPONSE_BATCHING === "on",
    verifyFastPath: e.VERIFY_FAST_PATH === "on",
    logBatching: e.LOG_BATCHING === "on",
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

/**
 * The web logins' settings: PUBLIC_URL and WEB_RETURN_URLS are required once a wechat-oa or
 * wechat-web app is configured (https in production: the state cookie is Secure there).
 * @param problems - receives a line per missing or bad variable
 */
function webConfig(e: Env, apps: App[], problems: string[]): Config["web"] {
  if (!apps.some((a) => isWebPlatform(a.platform))) return null;
  const production = e.NODE_ENV === "production";
  if (!e.PUBLIC_URL || !e.WEB_RETURN_URLS) {
    problems.push("  PUBLIC_URL, WEB_RETURN_URLS: required once a wechat-oa or wechat-web app is configured in APPS");
    return null;
  }
  if (production && !e.PUBLIC_URL.startsWith("https://")) problems.push("  PUBLIC_URL: must be https in production");
  const returnUrls = parseReturnUrls(e.WEB_RETURN_URLS, production);
  if (typeof returnUrls === "string") {
    problems.push(returnUrls);
    return null;
  }
  return { publicUrl: e.PUBLIC_URL.replace(/\/+$/, ""), returnUrls, openBase: e.WECHAT_OPEN_BASE.replace(/\/+$/, "") };
}
