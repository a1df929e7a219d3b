/**
 * What the client needs from a mini-program runtime, whichever it is: a one-time login code, an
 * HTTP request, and synchronous storage for the token. Each file beside this one maps one
 * runtime's own calls and field names onto this shape; detect.ts picks the runtime.
 */
import { TongxingError } from "../errors.js";
import type { SessionEndReason } from "../sessionEnd.js";
import type { Soter } from "./soter.js";

// The package is built without Node or DOM typings: the timers every mini-program runtime has.
declare function setTimeout(handler: () => void, ms: number): unknown;
declare function clearTimeout(id: unknown): void;

/**
 * The runtimes the client runs on: a platform's own global (`wx` WeChat, `tt` Douyin/Toutiao,
 * `my` Alipay, `qq` QQ, `swan` Baidu, `ks` Kuaishou) or a cross-platform framework (`uni`
 * uni-app, `taro` Taro).
 */
export type RuntimeName = "wx" | "tt" | "my" | "qq" | "swan" | "ks" | "uni" | "taro";

/** One HTTP request as the client makes it, before a runtime renames its fields. */
export interface HttpRequest {
  /** Absolute URL. */
  url: string;
  method: string;
  /** Sent as JSON when present (the header then carries `content-type: application/json`). */
  data?: unknown;
  header: Record<string, string>;
  /** Milliseconds. */
  timeout: number;
}

/** An HTTP answer, whatever its status. */
export interface HttpResponse {
  statusCode: number;
  /** The body parsed as JSON when it is JSON, else its text. */
  data: unknown;
}

/** One runtime, adapted. */
export interface Runtime {
  readonly name: RuntimeName;
  /**
   * A fresh one-time login code.
   * @param timeout - milliseconds, passed to login calls that take one (the user may be shown a
   *   host login dialog, so the client sets no timer of its own)
   * @throws TongxingError WX_LOGIN_FAILED (wx) or LOGIN_FAILED (the others)
   */
  loginCode(timeout: number): Promise<string>;
  /**
   * Sends a request; resolves on any HTTP answer, 4xx and 5xx included.
   * @throws TongxingError NETWORK_ERROR (no HTTP answer), TIMEOUT (none within `req.timeout`)
   */
  request(req: HttpRequest): Promise<HttpResponse>;
  /** The stored value, or "" / undefined when there is none. */
  getStorage(key: string): unknown;
  setStorage(key: string, value: string): void;
  removeStorage(key: string): void;
  /** WeChat SOTER for stepUp (soter.ts): on the `wx` runtime only, when its base library has it. */
  readonly soter?: Soter;
}

/** The message in a runtime's failure object: `errMsg` (most), `errorMessage` (Alipay), else a fallback. */
export function failMessage(err: unknown, fallback: string): string {
  const e = err as { errMsg?: unknown; errorMessage?: unknown } | null | undefined;
  if (typeof e?.errMsg === "string" && e.errMsg) return e.errMsg;
  if (typeof e?.errorMessage === "string" && e.errorMessage) return e.errorMessage;
  return fallback;
}

/** NETWORK_ERROR, or TIMEOUT when the runtime's message says it timed out (`request:fail timeout`). */
export function requestFailed(err: unknown): TongxingError {
  const message = failMessage(err, "request failed");
  return new TongxingError(/timeout|timed out/i.test(message) ? "TIMEOUT" : "NETWORK_ERROR", 0, message);
}

/** JSON-parses a body the runtime left as text (a runtime that did not parse it, or a text dataType). */
export function parseBody(data: unknown): unknown {
  if (typeof data !== "string" || data === "") return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/**
 * The error of a non-2xx answer: tongxing's `{"error": {"code", "message"}}` (with `reason`,
 * `bannedUntil` and `banReason` when a refused token's answer has them), else
 * UNEXPECTED_RESPONSE with the HTTP status.
 */
export function answerError(res: HttpResponse): TongxingError {
  const error = (res.data as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error.code !== "string") return new TongxingError("UNEXPECTED_RESPONSE", res.statusCode, `HTTP ${res.statusCode}`);
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  return new TongxingError(error.code, res.statusCode, String(error.message ?? ""), {
    reason: text(error.reason) as SessionEndReason | undefined,
    bannedUntil: text(error.bannedUntil),
    banReason: text(error.banReason),
  });
}

/**
 * Runs one request with the client's own deadline: not every runtime's request takes a
 * `timeout` (or honours it), and the client promises one `timeout` everywhere. Past it the
 * runtime's task is aborted when it returned one with `abort()`, and the promise rejects TIMEOUT;
 * whatever the runtime reports later is ignored.
 * @param start - starts the request, settling through the given functions; may return the task
 */
export function withDeadline<T>(
  timeoutMs: number,
  start: (resolve: (value: T) => void, reject: (err: unknown) => void) => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let task: unknown;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new TongxingError("TIMEOUT", 0, `no answer within ${timeoutMs} ms`)));
      const abort = (task as { abort?: unknown } | null | undefined)?.abort;
      if (typeof abort === "function") {
        try {
          abort.call(task);
        } catch {
          // The runtime may already have finished the task: nothing to abort.
        }
      }
    }, timeoutMs);
    try {
      task = start(
        (value) => settle(() => resolve(value)),
        (err) => settle(() => reject(err)),
      );
    } catch (err) {
      settle(() => reject(requestFailed(err instanceof Error ? { errMsg: err.message } : err)));
    }
  });
}
