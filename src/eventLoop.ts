/**
 * One wait shared by every request of an event-loop turn: "after the I/O that has already
 * arrived". Node runs the callbacks of every socket that is ready in its poll phase, then the
 * setImmediate callbacks of its check phase (https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick),
 * so a promise settled by setImmediate settles after all of this turn's reads have been handled.
 *
 * Two uses: the session cache answers only after that point (an invalidation or a closed Redis
 * connection read in the same turn is seen first, sessions.ts), and every response is written
 * then (requestLog.ts), so the responses of one turn leave together instead of one per socket
 * read. On this 2-core VM that cut server CPU per request by 28-45% and took the cached session
 * check from 0.42 to 0.57-0.64 of a bare Koa app's throughput (two runs; docs/performance.md,
 * "Responses leave together").
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
