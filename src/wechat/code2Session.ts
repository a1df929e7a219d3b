/**
 * auth.code2Session: exchanges a wx.login code for openid, unionid and session_key.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
 *
 * Facts this relies on (../shared/notes/wechat-api.md): errors come as HTTP 200 with
 * `{errcode, errmsg}`; the body is JSON served as text/plain; a code is single-use, so 40029,
 * 40163 and 40226 are never retried, while -1 (system busy), 5xx, timeouts and network errors
 * are retried a bounded number of times with backoff. No access_token is involved.
 */
import type { Logger } from "pino";
import { AppError, rateLimited, wechatCodeInvalid, wechatUnavailable, wechatUserBlocked } from "../errors.js";

/** What code2Session gives on success. session_key is base64 text (16 bytes decoded). */
export interface WechatSession {
  openid: string;
  unionid: string | null;
  sessionKey: string;
}

/** How a WeChat call is made: base URL, credentials, per-attempt timeout (ms) and retries. */
export interface WechatClientOptions {
  apiBase: string;
  appid: string;
  secret: string;
  timeoutMs: number;
  /** Extra attempts after the first for retryable failures. Default 2. */
  retries?: number;
  /** Milliseconds before the first retry; doubles each time, with jitter. Default 100. */
  backoffMs?: number;
  log: Logger;
}

/** A failure worth another attempt (busy, 5xx, timeout, network, unparsable body). */
class Retryable extends Error {}

/**
 * Maps a code2Session errcode to the client-facing error.
 * Configuration errors (40013 invalid appid, 40125 invalid secret) are the operator's to fix:
 * the log says so, the client gets a 502.
 */
function mapErrcode(errcode: number, log: Logger): AppError | Retryable {
  switch (errcode) {
    case -1:
      return new Retryable("system busy");
    case 40029:
    case 40163:
      return wechatCodeInvalid();
    case 40226:
      return wechatUserBlocked();
    case 45011:
      return rateLimited("WeChat's login frequency limit was reached for this user; try again in a minute.", 60);
    case 40013:
    case 40125:
      log.error({ errcode }, "WeChat rejected our appid/secret: check WECHAT_APPID and WECHAT_SECRET");
      return wechatUnavailable();
    default:
      log.warn({ errcode }, "unexpected code2Session errcode");
      return wechatUnavailable();
  }
}

/**
 * One HTTP attempt: GET the URL, parse the body as JSON whatever its Content-Type.
 * @throws Retryable on network errors, timeouts, 5xx and bodies that are not JSON objects
 */
async function getJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Retryable((err as Error).name === "TimeoutError" ? "timeout" : "network error");
  }
  const text = await res.text().catch(() => {
    throw new Retryable("body read failed");
  });
  if (res.status >= 500) throw new Retryable(`HTTP ${res.status}`);
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // fall through: an HTML error page or truncated JSON
  }
  throw new Retryable(`HTTP ${res.status}, body is not a JSON object`);
}

/**
 * Calls code2Session with bounded retries.
 * @param code - the wx.login code (single-use, valid 5 minutes)
 * @returns openid, unionid (null when the appid has no Open Platform binding) and session_key
 * @throws AppError WECHAT_CODE_INVALID (401), WECHAT_USER_BLOCKED (403), RATE_LIMITED (429),
 *   WECHAT_UNAVAILABLE (502) once retries are exhausted
 */
export async function code2Session(opts: WechatClientOptions, code: string): Promise<WechatSession> {
  const retries = opts.retries ?? 2;
  const backoffMs = opts.backoffMs ?? 100;
  const query = new URLSearchParams({ appid: opts.appid, secret: opts.secret, js_code: code, grant_type: "authorization_code" });
  const url = `${opts.apiBase}/sns/jscode2session?${query}`;
  for (let attempt = 0; ; attempt++) {
    let outcome: AppError | Retryable;
    try {
      const body = await getJson(url, opts.timeoutMs);
      const errcode = typeof body.errcode === "number" ? body.errcode : 0;
      if (errcode === 0 && typeof body.openid === "string" && typeof body.session_key === "string" && body.openid) {
        return {
          openid: body.openid,
          unionid: typeof body.unionid === "string" && body.unionid ? body.unionid : null,
          sessionKey: body.session_key,
        };
      }
      outcome = errcode === 0 ? new Retryable("success body without openid/session_key") : mapErrcode(errcode, opts.log);
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      outcome = err;
    }
    if (outcome instanceof AppError) throw outcome;
    // Never log the URL: it carries the app secret and the code.
    opts.log.warn({ wechatApi: "code2Session", attempt, reason: outcome.message }, "WeChat call failed");
    if (attempt >= retries) throw wechatUnavailable();
    const delay = backoffMs * 2 ** attempt;
    await new Promise((r) => setTimeout(r, delay / 2 + (Math.random() * delay) / 2));
  }
}
