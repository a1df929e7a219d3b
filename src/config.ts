/**
 * Configuration: the only reader of process.env. Parsed once at start with zod; a bad value
 * stops the process with a message that names the variable (never its value, which may be a
 * secret).
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { DEV_WECHAT, parseApps, type WechatApp } from "./wechat/appConfig.js";

const positiveInt = z.coerce.number().int().positive();
const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const base64Key32 = z
  .string()
  .refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)");

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
  /** The process-local session cache kept exact by Redis (sessions/sessionCache.ts). */
  SESSION_CACHE: z.enum(["on", "off"]).default("on"),
  /** Milliseconds a cached session may be used at most (a safety net under the invalidations). */
  SESSION_CACHE_TTL: positiveInt.max(3_600_000).default(60_000),
  /** Sessions the cache holds at most (least recently used users go first). */
  SESSION_CACHE_MAX: positiveInt.max(10_000_000).default(100_000),
  SESSION_KEY_ENCRYPTION_KEY: optionalNonEmpty.pipe(base64Key32.optional()),
  TOKEN_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, "must be an HTTP header name")
    .default("X-WX-Token"),
  /** Enables the admin API; at least 32 characters. Unset: the /admin routes answer 404. */
  ADMIN_TOKEN: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^[\x21-\x7e]{32,512}$/, "must be 32 to 512 printable ASCII characters")
      .optional(),
  ),
  /**
   * Shared with the team's gateway and backends: with it, /auth/verify also answers the openid
   * and unionid. Unset, they are never sent.
   */
  SERVICE_TOKEN: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^[\x21-\x7e]{32,512}$/, "must be 32 to 512 printable ASCII characters")
      .optional(),
  ),
  /** Enables bearer auth on /metrics; unset, /metrics is open (keep the port private). */
  METRICS_TOKEN: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^[\x21-\x7e]{1,512}$/, "must be 1 to 512 printable ASCII characters")
      .optional(),
  ),
  /**
   * A second listener serving only /metrics, for a private network (0: any free port). Set, the
   * main port no longer serves /metrics.
   */
  METRICS_PORT: optionalNonEmpty.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).optional()),
  /**
   * Seconds a login stays idempotent per wx.login code: a retry with the same code gets the same
   * token (commands/loginReplay.ts). 0 turns it off. A code lives 5 minutes at WeChat.
   */
  LOGIN_REPLAY_WINDOW: z.coerce.number().int().min(0).max(300).default(300),
  /** Login attempts per minute per client IP. */
  LOGIN_RATE_LIMIT: positiveInt.default(30),
  /** Calls to WeChat (checkSessionKey, getPhoneNumber) per minute per user: the app's quota is shared. */
  WECHAT_CALL_RATE_LIMIT: positiveInt.default(10),
  /** Believe X-Forwarded-For (the nearest proxy's entry) for the client IP. */
  TRUST_PROXY: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  /** Seconds an instance waits for another one's migrations at start. */
  MIGRATION_LOCK_TIMEOUT: positiveInt.default(120),
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
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** The parsed, validated configuration handed to createApp and the clients. */
export interface Config {
  nodeEnv: "development" | "production" | "test";
  port: number;
  host: string;
  redisUrl: string;
  redisKeyPrefix: string;
  redisClusterNodes: string | undefined;
  databaseUrl: string;
  wechat: {
    /**
     * The configured mini-programs, the primary one first: WECHAT_APPS, or the one app of
     * WECHAT_APPID/WECHAT_SECRET, or in dev mode the built-in fake's app.
     */
    apps: WechatApp[];
    apiBase: string;
    /** Milliseconds per HTTP attempt. */
    timeoutMs: number;
    /** Seconds; 0: no check. */
    watermarkMaxAge: number;
    /** True when no credentials were given: the built-in fake WeChat answers instead. */
    devMode: boolean;
  };
  session: {
    /** Seconds. */
    idleTtl: number;
    /** Seconds. */
    maxAge: number;
    maxPerUser: number;
    /** 32-byte AES-256-GCM key for session_key at rest. */
    sessionKeyEncryptionKey: Buffer;
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
  trustProxy: boolean;
  /** Seconds. */
  shutdownTimeout: number;
  /** Seconds to wait for another instance's migrations at start. */
  migrationLockTimeout: number;
  /** Seconds a start waits for its backends before exiting 1 (STARTUP_TIMEOUT). */
  startupTimeout: number;
  /** Seconds /readyz answers 503 before the listener closes (SHUTDOWN_DELAY). */
  shutdownDelay: number;
  /** Seconds for a whole request to arrive (REQUEST_TIMEOUT). */
  requestTimeout: number;
  corsOrigins: string[];
  logLevel: string;
}

export { APPID_PATTERN, DEV_WECHAT, type WechatApp } from "./wechat/appConfig.js";

/** Thrown by loadConfig; the message names each bad variable and why. */
export class ConfigError extends Error {}

/**
 * Parses the environment.
 * @param env - usually process.env
 * @throws ConfigError naming every invalid variable; in production also when WECHAT_APPID,
 *   WECHAT_SECRET or SESSION_KEY_ENCRYPTION_KEY is missing
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.WECHAT_APPID === undefined) !== (e.WECHAT_SECRET === undefined)) {
    problems.push("  WECHAT_APPID and WECHAT_SECRET: set both, or neither for dev mode");
  }
  if (e.WECHAT_APPS !== undefined && (e.WECHAT_APPID !== undefined || e.WECHAT_SECRET !== undefined)) {
    problems.push(
      "  WECHAT_APPS and WECHAT_APPID/WECHAT_SECRET: set one form, not both (WECHAT_APPID/WECHAT_SECRET is the one-app shorthand)",
    );
  }
  let apps: WechatApp[] = [];
  if (e.WECHAT_APPS !== undefined) {
    const parsedApps = parseApps(e.WECHAT_APPS);
    if (typeof parsedApps === "string") problems.push(parsedApps);
    else apps = parsedApps;
  } else if (e.WECHAT_APPID !== undefined && e.WECHAT_SECRET !== undefined) {
    apps = [{ appid: e.WECHAT_APPID, secret: e.WECHAT_SECRET, name: e.WECHAT_APPID }];
  }
  const devMode = e.WECHAT_APPS === undefined && (e.WECHAT_APPID === undefined || e.WECHAT_SECRET === undefined);
  if (devMode) apps = [{ ...DEV_WECHAT, name: "dev" }];
  if (e.NODE_ENV === "production") {
    if (devMode)
      problems.push("  WECHAT_APPID, WECHAT_SECRET: required when NODE_ENV=production (or WECHAT_APPS for several mini-programs)");
    if (!e.SESSION_KEY_ENCRYPTION_KEY) problems.push("  SESSION_KEY_ENCRYPTION_KEY: required when NODE_ENV=production");
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    databaseUrl: e.DATABASE_URL,
    wechat: {
      apps,
      apiBase: e.WECHAT_API_BASE.replace(/\/+$/, ""),
      timeoutMs: e.WECHAT_TIMEOUT,
      watermarkMaxAge: e.WECHAT_WATERMARK_MAX_AGE,
      devMode,
    },
    session: {
      idleTtl: e.SESSION_IDLE_TTL,
      maxAge: e.SESSION_MAX_AGE,
      maxPerUser: e.SESSIONS_PER_USER_MAX,
      sessionKeyEncryptionKey: e.SESSION_KEY_ENCRYPTION_KEY ? Buffer.from(e.SESSION_KEY_ENCRYPTION_KEY, "base64") : randomBytes(32),
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
    trustProxy: e.TRUST_PROXY,
    shutdownTimeout: e.SHUTDOWN_TIMEOUT,
    requestTimeout: e.REQUEST_TIMEOUT,
    migrationLockTimeout: e.MIGRATION_LOCK_TIMEOUT,
    startupTimeout: e.STARTUP_TIMEOUT,
    shutdownDelay: e.SHUTDOWN_DELAY ?? (e.NODE_ENV === "production" ? 5 : 0),
    corsOrigins: e.CORS_ORIGINS
      ? e.CORS_ORIGINS.split(",")
          .map((o) => o.trim())
          .filter(Boolean)
      : [],
    logLevel: e.LOG_LEVEL,
  };
}
