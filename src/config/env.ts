/**
 * Every environment variable tongxing reads, with its type, default and meaning: the schema
 * config.ts parses process.env with (the only place that reads it).
 */
import { z } from "zod";
import { parseProxyList } from "../middlewares/clientIp.js";
import { DEFAULT_API_BASES } from "../platforms/exchanges.js";
import { CONCURRENCY } from "../platforms/types.js";

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

export const envSchema = z.object({
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
  /** tongxing's own public base URL: web logins' callback is `${PUBLIC_URL}/auth/web/{appid}/callback`. */
  PUBLIC_URL: optionalNonEmpty.pipe(z.string().url().optional()),
  /** Where a finished web login may return to: origins or URL prefixes, comma-separated. */
  WEB_RETURN_URLS: optionalNonEmpty,
  /** WeChat's authorize pages (web logins), beside WECHAT_API_BASE for the token exchange. */
  WECHAT_OPEN_BASE: z.string().url().default("https://open.weixin.qq.com"),
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
  /**
   * How many sessions a user may hold: any number (multi), one per app (single-per-app: a login
   * ends the user's other sessions of that app), one (single). An app may set its own.
   */
  SESSION_CONCURRENCY: z.enum(CONCURRENCY).default("multi"),
  /** A login past SESSIONS_PER_USER_MAX: ends the oldest session, or is refused (409 TOO_MANY_SESSIONS). */
  SESSIONS_PER_USER_OVERFLOW: z.enum(["evict-oldest", "refuse-new"]).default("evict-oldest"),
  /** Seconds a step-up (POST /auth/step-up) counts for on its session. */
  STEP_UP_TTL: positiveInt.max(86_400).default(300),
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
  /** Answer a live session's GET/HEAD /auth/verify before the app (routes/auth/verifyFastPath.ts). */
  VERIFY_FAST_PATH: z.enum(["on", "off"]).default("on"),
  /** Write log lines to stdout in batches of about 4 KB, at most 10 ms late (logBatching.ts). */
  LOG_BATCHING: z.enum(["on", "off"]).default("on"),
});

/** The variables as parsed. */
export type Env = z.infer<typeof envSchema>;
