/**
 * One call to a mini-program platform's server API, with bounded retries: the HTTP half of every
 * code exchange in this folder (src/wechat/http.ts is WeChat's own).
 *
 * What is retried, with exponential backoff and jitter: an HTTP 5xx, a network error (the request
 * most likely never reached the platform), and an answer the platform itself marks as busy (the
 * caller's `busy`). Never a timeout: a login code is single-use, and a request that timed out most
 * likely reached the platform and spent it, so a retry would only be refused as "code used" and
 * blame the client for the platform's failure. Not retried either: an HTTP 4xx (our request is
 * wrong, and would be wrong again) and a body that is not a JSON object (the platform answered,
 * so the code may be spent). Every failure ends as 502 PLATFORM_UNAVAILABLE.
 *
 * Bodies are parsed as JSON whatever their Content-Type (Alipay's gateway says text/html, QQ's
 * WeChat-like API text/plain). URLs and bodies are never logged: they carry secrets and codes.
 */
import type { Logger } from "pino";
import { request } from "undici";
import { platformUnavailable } from "../errors.js";
import type { ExchangeOptions, Platform } from "./types.js";

/** One request to a platform. */
export interface PlatformRequest {
  platform: Platform;
  /** A name for logs and metrics, e.g. "jscode2session". */
  api: string;
  /** The full URL, query included. Never logged (it may carry the secret). */
  url: string;
  method: "GET" | "POST";
  /** A body to POST as JSON. */
  json?: unknown;
  /** A body to POST as application/x-www-form-urlencoded (UTF-8). */
  form?: Record<string, string>;
  /** The answer's outcome for `observe`: the platform's error value, or "ok". Default "ok". */
  outcomeOf?: (body: Record<string, unknown>) => string;
  /** Why an answer is worth another attempt (the platform says it is busy), or undefined. */
  busy?: (body: Record<string, unknown>) => string | undefined;
}

/** A platform's answer: the parsed object and the exact text it came from (Alipay signs the text). */
export interface PlatformAnswer {
  body: Record<string, unknown>;
  text: string;
}

/** Why an attempt failed, and whether another attempt may help. */
class Failure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** For `observe`: "retryable", "timeout", "http_4xx" or "bad_body". */
    readonly outcome: string,
  ) {
    super(message);
  }
}

function outgoing(req: PlatformRequest): { method: "GET" | "POST"; headers?: Record<string, string>; body?: string } {
  if (req.json !== undefined)
    return { method: req.method, headers: { "content-type": "application/json" }, body: JSON.stringify(req.json) };
  if (req.form !== undefined) {
    const body = new URLSearchParams(req.form).toString();
    return { method: req.method, headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" }, body };
  }
  return { method: req.method };
}

async function attempt(req: PlatformRequest, timeoutMs: number): Promise<PlatformAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    // undici's request() as in src/wechat/http.ts: fetch's client without the WHATWG streams.
    const res = await request(req.url, { ...outgoing(req), signal });
    status = res.statusCode;
    text = await res.body.text();
  } catch {
    if (signal.aborted) throw new Failure("timeout", false, "timeout");
    throw new Failure("network error", true, "retryable");
  }
  if (status >= 500) throw new Failure(`HTTP ${status}`, true, "retryable");
  if (status >= 400) throw new Failure(`HTTP ${status}`, false, "http_4xx");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Failure(`HTTP ${status}, body is not JSON`, false, "bad_body");
  }
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new Failure(`HTTP ${status}, body is not a JSON object`, false, "bad_body");
  const answer = { body: body as Record<string, unknown>, text };
  const busy = req.busy?.(answer.body);
  if (busy) throw new Failure(busy, true, "retryable");
  return answer;
}

/**
 * Calls a platform's API.
 * @param opts - where (opts.apiBase is already in req.url) and how: timeout per attempt, retries
 *   (default 2), backoffMs before the first retry (default 100, doubling), observe
 * @returns the parsed JSON object and its text; its error fields are for the caller to interpret
 * @throws AppError 502 PLATFORM_UNAVAILABLE for a timeout, a 4xx, a body that is not a JSON
 *   object, or once retries of 5xx, network errors and busy answers are exhausted
 */
export async function callPlatform(req: PlatformRequest, opts: ExchangeOptions, log: Logger): Promise<PlatformAnswer> {
  const retries = opts.retries ?? 2;
  const backoffMs = opts.backoffMs ?? 100;
  for (let n = 0; ; n++) {
    const started = performance.now();
    try {
      const answer = await attempt(req, opts.timeoutMs);
      opts.observe?.(req.api, req.outcomeOf?.(answer.body) ?? "ok", performance.now() - started);
      return answer;
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      opts.observe?.(req.api, err.outcome, performance.now() - started);
      log.warn({ platform: req.platform, platformApi: req.api, attempt: n, reason: err.message }, "platform call failed");
      if (!err.retryable || n >= retries) throw platformUnavailable(req.platform);
      const delay = backoffMs * 2 ** n;
      await new Promise((r) => setTimeout(r, delay / 2 + (Math.random() * delay) / 2));
    }
  }
}
