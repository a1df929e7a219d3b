/**
 * The part of a receiver every backend needs, with node:http only: read the body as it came,
 * verify it with the Standard Webhooks reference library (`standardwebhooks`), skip an event
 * already handled, and answer so that tongxing knows whether to try again.
 *
 * - 401 for a delivery that does not verify (a wrong secret, a body changed on the way, a
 *   `webhook-timestamp` more than 5 minutes off: the library refuses replays).
 * - 2xx once the event is handled; tongxing then never sends it again.
 * - 500 when handling it failed: tongxing retries it later with the same `webhook-id`.
 *
 * tongxing delivers at least once: a retry after a lost answer sends an event again. `seen` here
 * is a Set in memory; a real receiver records the `webhook-id` in its own database, in the same
 * transaction as what the event makes it do, under a unique constraint.
 */
import { Webhook } from "standardwebhooks";

/** Deliveries larger than this are refused (tongxing's are well under 4 KiB). */
const MAX_BODY = 1024 * 1024;

/**
 * A node:http request handler for tongxing's deliveries.
 * @param {object} options
 * @param {string} options.secret - the endpoint's secret, `whsec_...`, as in tongxing's WEBHOOKS
 * @param {(event: {type: string, timestamp: string, data: Record<string, unknown>}, id: string) => unknown} options.onEvent -
 *   handles a verified event seen for the first time; throwing (or rejecting) answers 500
 * @param {Set<string>} [options.seen] - the webhook-ids already handled
 * @returns {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => Promise<void>}
 */
export function webhookHandler({ secret, onEvent, seen = new Set() }) {
  const verifier = new Webhook(secret);
  return async function handleWebhook(req, res) {
    if (req.method !== "POST") return answer(res, 405);
    const body = await readBody(req);
    if (body === null) return answer(res, 413);
    let event;
    try {
      // The raw body, not a re-serialised object: the signature covers the exact bytes sent.
      event = verifier.verify(body, req.headers);
    } catch {
      return answer(res, 401);
    }
    const id = String(req.headers["webhook-id"]);
    if (seen.has(id)) return answer(res, 204);
    try {
      await onEvent(event, id);
    } catch {
      return answer(res, 500);
    }
    seen.add(id);
    answer(res, 204);
  };
}

/** The body as a string, or null when it is over MAX_BODY. */
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function answer(res, status) {
  res.writeHead(status).end();
}
