/**
 * One delivery attempt: the body POSTed with the Standard Webhooks headers
 * (https://www.standardwebhooks.com, "Signature scheme"), signed by the reference library
 * (`standardwebhooks`, the one receivers verify with):
 * - `webhook-id`: the event's id, the same on every retry (receivers de-duplicate by it);
 * - `webhook-timestamp`: this attempt's time in seconds (receivers refuse old ones: a retry is
 *   signed afresh);
 * - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" with the secret's bytes>`.
 *
 * Delivered means a 2xx answer. Anything else fails the attempt: another status (a redirect
 * included: it is not followed, the configured URL is the contract), no answer within the
 * timeout, a refused or broken connection. Neither the URL's query nor the answer's body is ever
 * logged or stored: either may carry the receiver's credentials or data.
 */
import type { Webhook } from "standardwebhooks";
import { type Dispatcher, request } from "undici";

/** What an attempt came to: delivered, or why not (`HTTP 500`, `timeout`, `ECONNREFUSED`). */
export type AttemptResult = { delivered: true } | { delivered: false; error: string };

/** What is sent: the event's id and type, and the body exactly as stored and signed. */
export interface Outgoing {
  eventId: string;
  type: string;
  body: string;
}

/** Builds the headers of one attempt at `now` (epoch milliseconds). */
export function signedHeaders(signer: Webhook, out: Outgoing, now: number): Record<string, string> {
  const at = new Date(now);
  return {
    "content-type": "application/json",
    "user-agent": "tongxing-webhooks",
    "webhook-id": out.eventId,
    "webhook-timestamp": String(Math.floor(now / 1000)),
    "webhook-signature": signer.sign(out.eventId, at, out.body),
  };
}

/**
 * POSTs one event to `url`, signed with `signer`.
 * @param timeoutMs - for the whole exchange: connection, answer and its body
 * @param dispatcher - undici's connection pool the attempts share
 */
export async function attemptDelivery(
  url: string,
  signer: Webhook,
  out: Outgoing,
  timeoutMs: number,
  now: number,
  dispatcher?: Dispatcher,
): Promise<AttemptResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(url, {
      method: "POST",
      headers: signedHeaders(signer, out, now),
      body: out.body,
      signal,
      ...(dispatcher && { dispatcher }),
    });
    // Read and dropped: the connection is reused, and a receiver's body is none of our business.
    await res.body.dump({ limit: 64 * 1024 });
    return res.statusCode >= 200 && res.statusCode < 300 ? { delivered: true } : { delivered: false, error: `HTTP ${res.statusCode}` };
  } catch (err) {
    if (signal.aborted) return { delivered: false, error: "timeout" };
    return { delivered: false, error: errorCode(err) };
  }
}

/** The system or undici error code of a failed connection (never its message: it may quote the URL). */
function errorCode(err: unknown): string {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 3; depth++, e = e.cause as typeof e) {
    if (typeof e.code === "string" && /^[A-Z0-9_]{1,64}$/.test(e.code)) return e.code;
  }
  return "network error";
}
