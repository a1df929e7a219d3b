/**
 * Rate limits, in Redis so that every instance shares them (rate-limiter-flexible). Over a limit:
 * 429 RATE_LIMITED with Retry-After (OWASP ASVS V2.2.1 anti-automation).
 * - Logins: LOGIN_RATE_LIMIT attempts per minute per client IP (IPv6 by /64, clientIp.ts), and 5
 *   per minute per code (a code is single-use; hammering one only burns WeChat's quota). The
 *   client IP is the socket's, or what TRUSTED_PROXIES let X-Forwarded-For say (clientIp.ts).
 *   Codes are hashed before they are keys.
 * - WeChat calls on a user's behalf (checkSessionKey, getPhoneNumber): WECHAT_CALL_RATE_LIMIT per
 *   minute per user, since each one spends the app's shared WeChat quota.
 * - /internal (service-token holders): INTERNAL_RATE_LIMIT per minute per caller and client IP.
 */
import { createHash } from "node:crypto";
import type { Context, Next, ParameterizedContext } from "koa";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RedisClient } from "../clients/redis.js";
import { rateLimited, serviceUnavailable } from "../errors.js";
import type { AppState } from "../state.js";
import { ipBucket } from "./clientIp.js";

export const ATTEMPTS_PER_CODE = 5;

async function consume(limiter: RateLimiterRedis, key: string | number, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw rateLimited(message, Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    throw serviceUnavailable(err);
  }
}

const LOGIN_LIMITED = "Too many login attempts; try again later.";

/**
 * Two middlewares: `byIp` before validation (garbage counts too), `byCode` after it.
 * @param perMinute - LOGIN_RATE_LIMIT
 */
export function loginRateLimits(redis: RedisClient, prefix: string, perMinute: number) {
  const ipLimiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rl:login:ip`, points: perMinute, duration: 60 });
  const codeLimiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}rl:login:code`,
    points: ATTEMPTS_PER_CODE,
    duration: 60,
  });
  return {
    byIp: async function loginRateLimitByIp(ctx: Context, next: Next): Promise<void> {
      await consume(ipLimiter, ipBucket(ctx.ip), LOGIN_LIMITED);
      await next();
    },
    byCode: async function loginRateLimitByCode(ctx: ParameterizedContext<{ body: { code: string } }>, next: Next): Promise<void> {
      const { code } = ctx.state.body;
      await consume(codeLimiter, createHash("sha256").update(code).digest("base64url").slice(0, 22), LOGIN_LIMITED);
      await next();
    },
  };
}

/**
 * Middleware for routes that call WeChat on the caller's behalf; after authenticate.
 * @param perMinute - WECHAT_CALL_RATE_LIMIT
 * @throws AppError 429 RATE_LIMITED with Retry-After, 503 when Redis cannot count
 */
export function wechatCallRateLimit(redis: RedisClient, prefix: string, perMinute: number) {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rl:wechat:user`, points: perMinute, duration: 60 });
  return async function wechatCallRateLimit(ctx: ParameterizedContext<AppState>, next: Next): Promise<void> {
    await consume(limiter, ctx.state.auth.userId, "Too many WeChat requests for this user; try again later.");
    await next();
  };
}

/**
 * Middleware for /internal routes, after the service token check: `perMinute` requests per
 * minute per caller and client IP (IPv6 by /64). The caller is the metrics' bounded name (a
 * CALLER_NAMES entry, else "other" or "unnamed"), so a token holder making up a name per request
 * shares one budget; the IP keeps one host's burst from spending another's.
 * @param perMinute - INTERNAL_RATE_LIMIT
 * @throws AppError 429 RATE_LIMITED with Retry-After, 503 when Redis cannot count
 */
export function internalRateLimit(redis: RedisClient, prefix: string, perMinute: number, callerOf: (ctx: Context) => string) {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rl:internal`, points: perMinute, duration: 60 });
  return async function internalRateLimit(ctx: Context, next: Next): Promise<void> {
    await consume(limiter, `${callerOf(ctx)}:${ipBucket(ctx.ip)}`, "Too many /internal requests from this caller; try again later.");
    await next();
  };
}
