/**
 * The mini-program's access_token, shared by every instance through Redis.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html
 *
 * Why this shape (docs/wechat.md; WxJava #369/#778/#2089, EasyWeChat #1453/#2641):
 * - the stable token API in normal mode returns the same token while it is valid, so instances
 *   don't invalidate each other's tokens as the old /cgi-bin/token does; force_refresh is never used;
 * - the token is cached in Redis with a TTL safely below expires_in, for all instances;
 * - one refresh at a time across instances: a Redis lock with a random owner, held at least as
 *   long as the HTTP calls can take, released by compare-and-delete, and the cache is read again
 *   once the lock is held; callers in one process share one in-flight refresh;
 * - on 40001/40014/42001 the cached token is dropped only if it is still the one that failed
 *   (compare-and-delete), so a token another instance just fetched survives, and the call is
 *   retried once.
 * Logins never go through here: code2Session needs no access_token.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { RedisClient } from "../clients/redis.js";
import { compareAndDelete } from "../clients/redis.js";
import { wechatUnavailable } from "../errors.js";
import { callWechat, type WechatCallObserver, type WechatHttpOptions } from "./http.js";

/** errcodes meaning "this access_token is no good". */
export const TOKEN_ERRCODES = new Set([40001, 40014, 42001]);

export interface AccessTokenOptions extends WechatHttpOptions {
  appid: string;
  secret: string;
  /** Redis key prefix (REDIS_KEY_PREFIX). */
  prefix: string;
  /** Called after each token fetched from WeChat (metrics). */
  onRefresh?: () => void;
  observe?: WechatCallObserver;
}

export class AccessTokenManager {
  private readonly cacheKey: string;
  private readonly lockKey: string;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: AccessTokenOptions,
  ) {
    // Keyed by appid, never by anything secret; both keys in one slot.
    this.cacheKey = `${opts.prefix}{wx:${opts.appid}}:access_token`;
    this.lockKey = `${opts.prefix}{wx:${opts.appid}}:access_token_lock`;
  }

  /**
   * A valid access_token: from Redis, or fetched once for all instances.
   * @throws AppError 502 WECHAT_UNAVAILABLE when WeChat cannot give one in time
   */
  async get(log: Logger): Promise<string> {
    const cached = await this.redis.get(this.cacheKey);
    if (cached) return cached;
    this.inflight ??= this.refresh(log).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * The cached token and when the cache lets go of it (epoch ms; safely before WeChat's own
   * expiry), fetching one when none is cached: what the team's other backends are served.
   * @throws AppError 502 WECHAT_UNAVAILABLE
   */
  async current(log: Logger): Promise<{ accessToken: string; expiresAt: number }> {
    for (let attempt = 0; ; attempt++) {
      const accessToken = await this.get(log);
      const ttl = await this.redis.pttl(this.cacheKey);
      // The key lapsed or was invalidated between the two reads: fetch again (once).
      if (ttl > 0 || attempt > 0) return { accessToken, expiresAt: Date.now() + Math.max(ttl, 0) };
    }
  }

  /** Drops the cached token if it is still `failed`. */
  async invalidate(failed: string): Promise<void> {
    await compareAndDelete(this.redis, this.cacheKey, failed);
  }

  /**
   * Runs an API call with a token, retrying once with a fresh token when WeChat says the token
   * is invalid or expired.
   * @param call - gets the token, returns the parsed body
   */
  async withToken(log: Logger, call: (accessToken: string) => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const token = await this.get(log);
    const body = await call(token);
    if (!TOKEN_ERRCODES.has(body.errcode as number)) return body;
    log.warn({ errcode: body.errcode }, "access_token rejected by WeChat; fetching a new one");
    await this.invalidate(token);
    return call(await this.get(log));
  }

  private async refresh(log: Logger): Promise<string> {
    const owner = randomUUID();
    // Held at least as long as one fetch can take, retries and backoff included.
    const lockMs = this.opts.timeoutMs * ((this.opts.retries ?? 2) + 1) + 2000;
    const deadline = Date.now() + lockMs + this.opts.timeoutMs;
    for (;;) {
      if (await this.redis.set(this.lockKey, owner, "PX", lockMs, "NX")) {
        try {
          const again = await this.redis.get(this.cacheKey);
          if (again) return again;
          return await this.fetch(log);
        } finally {
          await compareAndDelete(this.redis, this.lockKey, owner);
        }
      }
      await new Promise((r) => setTimeout(r, 50));
      const cached = await this.redis.get(this.cacheKey);
      if (cached) return cached;
      if (Date.now() > deadline) throw wechatUnavailable();
    }
  }

  private async fetch(log: Logger): Promise<string> {
    const body = await callWechat(
      this.opts,
      log,
      "stableToken",
      "/cgi-bin/stable_token",
      { grant_type: "client_credential", appid: this.opts.appid, secret: this.opts.secret, force_refresh: false },
      this.opts.observe,
    );
    const token = body.access_token;
    const expiresIn = Number(body.expires_in);
    if (typeof token !== "string" || !token || !(expiresIn > 0)) {
      log.error({ errcode: body.errcode }, "stable_token gave no access_token (check WECHAT_APPID and WECHAT_SECRET)");
      throw wechatUnavailable();
    }
    // Safely below expires_in; a token near its end is cached for half what it has left.
    const ttl = expiresIn > 600 ? expiresIn - 300 : Math.max(1, Math.floor(expiresIn / 2));
    await this.redis.set(this.cacheKey, token, "EX", ttl);
    this.opts.onRefresh?.();
    log.info({ expiresIn }, "fetched a new access_token");
    return token;
  }
}
