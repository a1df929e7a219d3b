/**
 * Response batching (RESPONSE_BATCHING, on by default): a response that is ready before its
 * event-loop turn's reads have all been handled waits for them (verifier/src/eventLoop.ts `afterIo`, one
 * setImmediate per turn shared by every request), so the responses of one turn are written back
 * to back instead of one per socket read.
 *
 * What it buys, measured with `bench/cpu.ts` (server CPU per request, ABBA rounds): 45% less
 * for `/healthz`, 28% less for a cached `GET /auth/session`; a route that reads Redis gains
 * nothing, its responses already leave in bursts (docs/performance.md, "Responses leave
 * together"). What it costs: a response waits for the rest of its turn's reads, under load at most
 * one turn. Turn it off (`RESPONSE_BATCHING=off`) to compare, or where single-request latency on
 * an idle server matters more than CPU under load.
 *
 * Not the session cache's wait (sessions.ts), which uses the same helper for safety: a cached
 * answer is given only after the turn's I/O, so a Redis close or an invalidation read in the same
 * turn is seen first. That one is never switched off, and a request that already waited past its
 * turn there is not held a second time here.
 */
import type { Context, Next } from "koa";
import { afterIo, settledTurns } from "../../verifier/src/eventLoop.js";

/** Holds each response until its turn's I/O has been handled, unless the request already waited past its turn. */
export function batchResponses() {
  return async function batchResponses(_ctx: Context, next: Next): Promise<void> {
    const turn = settledTurns();
    await next();
    if (settledTurns() === turn) await afterIo();
  };
}
