/**
 * One wait shared by every request of an event-loop turn: "after the I/O that has already
 * arrived". Node runs the callbacks of every socket that is ready in its poll phase, then the
 * setImmediate callbacks of its check phase (https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick),
 * so a promise settled by setImmediate settles after all of this turn's reads have been handled.
 *
 * Two uses: the session cache answers only after that point (an invalidation or a closed Redis
 * connection read in the same turn is seen first, resolveSession.ts), and response batching
 * (middlewares/batchResponses.ts, RESPONSE_BATCHING) writes a turn's responses together.
 */

let pending: Promise<void> | undefined;
let turns = 0;

/**
 * A promise settled in this turn's check phase, after every I/O callback of its poll phase;
 * the same promise for every caller until then (one setImmediate per turn, not per request).
 * Called from the check phase itself, it settles in the next turn's.
 */
export function afterIo(): Promise<void> {
  pending ??= new Promise((resolve) =>
    setImmediate(() => {
      pending = undefined;
      turns++;
      resolve();
    }),
  );
  return pending;
}

/** How many afterIo() waits have settled so far: a request that saw it change has waited past its turn's I/O. */
export function settledTurns(): number {
  return turns;
}
