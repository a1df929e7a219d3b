/**
 * One WeChat API call with bounded retries (docs/wechat.md): bodies are JSON
 * served as text/plain, so the text is parsed whatever the Content-Type; errors come as HTTP 200
 * with `{errcode, errmsg}`. -1 (system busy), HTTP 5xx, timeouts, network errors and bodies that
 * are not JSON objects are retried with exponential backoff and jitter (timeouts only for calls
 * that spend nothing, see `idempotent`); every other errcode is the caller's to interpret. URLs are never logged: they carry the app secret or access_token.
 */
import type { Logger } from "pino";
import { request } from "undici";
import { wechatUnavailable } from "../errors.js";

/** Where and how WeChat is called. Durations in milliseconds. */
export interface WechatHttpOptions {
  apiBase: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Extra attempts after the first, for retryable failures. Default 2. */
  retries?: number;
  /** Before the first retry; doubles each time. Default 100. */
  backoffMs?: number;
  /**
   * False for a call that spends something, such as a single-use wx.login or getPhoneNumber
   * code: an attempt that timed out most likely reached WeChat and spent it, so repeating it
   * would only earn 40163 ("code been used") and blame the client for WeChat's failure. Such a
   * call is retried only for -1, 5xx and network errors, not for a timeout. Default true.
   */
  idempotent?: boolean;
}

/** Observes each finished call (metrics hang here). */
export type WechatCallObserver = (api: string, outcome: string, durationMs: number) => void;

/** A failure worth another attempt (for a timeout, only when the call is idempotent). */
class Retryable extends Error {
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/** A request: GET, or POST with a JSON body. */
interface Outgoing {
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

// undici's request() rather than fetch(): the same HTTP client without the WHATWG stream
// layers, a little over half fetch's CPU per call (client and server, measured side by side).
async function attempt(url: string, out: Outgoing, timeoutMs: number): Promise<Record<string, unknown>> {
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const res = await request(url, { ...out, signal });
    status = res.statusCode;
    text = await res.body.text();
  } catch {
    throw signal.aborted ? new Retryable("timeout", true) : new Retryable("network error");
  }
  if (status >= 500) throw new Retryable(`HTTP ${status}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Retryable(`HTTP ${status}, body is not JSON`);
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new Retryable(`HTTP ${status}, body is not a JSON object`);
  if ((body as { errcode?: unknown }).errcode === -1) throw new Retryable("errcode -1 (system busy)");
  return body as Record<string, unknown>;
}

/**
 * Calls a WeChat API.
 * @param api - a name for logs and metrics, e.g. "code2Session"
 * @param path - path and query, e.g. `/sns/jscode2session?...`
 * @param json - a body to POST as JSON; GET when absent
 * @returns the parsed body; its errcode (when present and not -1) is for the caller
 * @throws AppError 502 WECHAT_UNAVAILABLE once retries are exhausted
 */
export async function callWechat(
  opts: WechatHttpOptions,
  log: Logger,
  api: string,
  path: string,
  json?: unknown,
  observe?: WechatCallObserver,
): Promise<Record<string, unknown>> {
  const retries = opts.retries ?? 2;
  const backoffMs = opts.backoffMs ?? 100;
  const out: Outgoing =
    json === undefined
      ? { method: "GET" }
      : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) };
  for (let n = 0; ; n++) {
    const started = performance.now();
    try {
      const body = await attempt(opts.apiBase + path, out, opts.timeoutMs);
      observe?.(api, String(typeof body.errcode === "number" ? body.errcode : 0), performance.now() - started);
      return body;
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      observe?.(api, "retryable", performance.now() - started);
      log.warn({ wechatApi: api, attempt: n, reason: err.message }, "WeChat call failed");
      if (n >= retries || (err.timedOut && opts.idempotent === false)) throw wechatUnavailable();
      const delay = backoffMs * 2 ** n;
      await new Promise((r) => setTimeout(r, delay / 2 + (Math.random() * delay) / 2));
    }
  }
}
