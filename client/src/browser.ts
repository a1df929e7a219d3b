/**
 * The few browser objects the web entry (web.ts) uses, typed here by what it calls. The package
 * is compiled without the DOM typings so that the mini-program code, which runs where there is no
 * `window`, cannot reach for one by mistake; only web.ts and this file touch the browser.
 */
import { TongxingError } from "./errors.js";
import { type HttpRequest, type HttpResponse, parseBody, withDeadline } from "./runtimes/runtime.js";

/** Web Storage's three methods: `localStorage`, `sessionStorage`, or your own. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What web.ts calls on the browser's globals. */
interface Browser {
  location: { href: string; hash: string; pathname: string; search: string; assign(url: string): void };
  history: { state: unknown; replaceState(data: unknown, unused: string, url: string): void };
  /** A getter that throws (SecurityError) where storage is blocked: read it only when needed. */
  localStorage: StorageLike;
  fetch(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string; credentials: "omit"; signal?: unknown },
  ): Promise<{ status: number; text(): Promise<string> }>;
  AbortController?: new () => { signal: unknown; abort(): void };
}

/**
 * The browser's globals.
 * @throws TongxingError NO_BROWSER outside a browser (no `location`, `history` or `fetch`)
 */
export function browser(): Browser {
  const g = globalThis as unknown as Partial<Browser>;
  if (!g.location || !g.history || typeof g.fetch !== "function") {
    throw new TongxingError("NO_BROWSER", 0, "tongxing-miniprogram/web runs in a browser page (location, history, fetch)");
  }
  return g as Browser;
}

/**
 * One request with fetch, as the mini-program runtimes' requests are made (runtimes/runtime.ts):
 * JSON in and out, no cookies (tongxing's token travels in a header), the client's own deadline.
 * @returns any HTTP answer, 4xx and 5xx included, its body parsed when it is JSON
 * @throws TongxingError NETWORK_ERROR (no HTTP answer: offline, DNS, or a CORS refusal, which
 *   the browser does not tell apart), TIMEOUT (none within `req.timeout` ms; fetch is aborted)
 */
export function fetchJson(req: HttpRequest): Promise<HttpResponse> {
  const b = browser();
  const abort = b.AbortController ? new b.AbortController() : undefined;
  return withDeadline<HttpResponse>(req.timeout, (resolve, reject) => {
    b.fetch(req.url, {
      method: req.method,
      headers: req.header,
      body: req.data === undefined ? undefined : JSON.stringify(req.data),
      credentials: "omit",
      signal: abort?.signal,
    })
      .then(async (res) => resolve({ statusCode: res.status, data: parseBody(await res.text()) }))
      .catch((err: unknown) => reject(new TongxingError("NETWORK_ERROR", 0, err instanceof Error ? err.message : "fetch failed")));
    // withDeadline aborts the task it is given once the deadline passes.
    return abort;
  });
}
