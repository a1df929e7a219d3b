/**
 * Log batching (LOG_BATCHING, on by default): the server's log lines go to stdout in batches of
 * about 4 KB (a batch goes as soon as it reaches 4 KB, with the line that got it there), written
 * at the latest 10 ms after the first line of a batch, instead of one write per line.
 *
 * Why: pino's default stdout destination (sonic-boom, asynchronous) hands every line to libuv's
 * thread pool: a worker thread is woken for the write and wakes the event loop again when it is
 * done. For a request that is two thread switches beside its own, and on a busy machine they
 * land between the answer and the gateway's next step. A batch makes that one pair per 4 KB
 * (about 20 request lines), into /dev/null, a file or a pipe alike; the reader of a pipe (a
 * container runtime) is woken as many times fewer. Measured behind the gateway at one
 * connection (docs/performance.md, "Through the gateway").
 *
 * What it costs: a line reaches stdout up to 10 ms after it was logged, and the lines still
 * waiting are lost when the process ends without Node's exit event: SIGKILL (the OOM killer
 * too), a signal it does not handle (SIGHUP, SIGQUIT; SIGTERM and SIGINT before it listens, as
 * main.ts handles them from then on), V8 running out of heap, an abort. On any exit Node runs
 * (process.exit, a fatal start, an uncaught exception, the end of graceful shutdown) they are
 * written first, synchronously, waiting for a full pipe to drain. Turn it off
 * (`LOG_BATCHING=off`) for one write per line.
 * pino documents the same trade for its own buffering (`minLength`, "Asynchronous logging");
 * that one waits for 4 KB however long it takes, hence this wrapper with a deadline.
 */
import { type DestinationStream, pino } from "pino";

/** Bytes (UTF-16 code units, near enough) a batch may hold before it is written. */
export const BATCH_BYTES = 4096;
/** Milliseconds a batch may wait for more lines. */
export const BATCH_WAIT_MS = 10;

/**
 * Lines gathered into batches before `out`.
 * @param out - where a batch goes (pino's asynchronous stdout destination in the server)
 */
export class LineBatcher implements DestinationStream {
  #lines = "";
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: { write(batch: string): unknown; flush?(cb: (err?: Error | null) => void): void },
    private readonly maxBytes = BATCH_BYTES,
    private readonly waitMs = BATCH_WAIT_MS,
  ) {}

  /** Adds a line (pino gives it with its newline). */
  write(line: string): void {
    this.#lines += line;
    if (this.#lines.length >= this.maxBytes) this.flush();
    // Unref'd: a process with nothing else to do exits, and the exit handler writes the rest.
    else this.#timer ??= setTimeout(() => this.flush(), this.waitMs).unref();
  }

  /**
   * Hands what is gathered to `out` now. `cb` (pino's `logger.flush(cb)`) is called once `out`
   * has written it, when `out` can tell (pino's destination), else at once.
   */
  flush(cb?: (err?: Error | null) => void): void {
    const batch = this.take();
    if (batch) this.out.write(batch);
    if (!cb) return;
    if (this.out.flush) this.out.flush(cb);
    else cb();
  }

  /** Takes what is gathered, leaving nothing (for a synchronous write at exit). */
  take(): string {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#lines;
    this.#lines = "";
    return batch;
  }
}

/**
 * stdout for the server's logger, batched (LineBatcher), with whatever is gathered written
 * synchronously when the process exits.
 */
export function batchedStdout(): DestinationStream {
  // Registered before pino's destination registers its own exit flush, so it runs first: the
  // destination's queued lines, then this batch, in the order they were logged. (A write already
  // handed to the thread pool is pino's own exit case, unchanged.)
  let batcher: LineBatcher | undefined;
  let stdout: ReturnType<typeof pino.destination> | undefined;
  process.once("exit", () => {
    const rest = batcher?.take() ?? "";
    try {
      stdout?.flushSync();
    } catch {
      // Not writable any more (EPIPE, closed): nothing more can be done at exit.
    }
    if (rest) {
      try {
        // pino's synchronous destination, not one writeSync: stdout may be a non-blocking pipe
        // that is full (any use of process.stdout makes it non-blocking), and it writes the rest
        // of a short write and waits out EAGAIN as the flushSync above does.
        pino.destination({ fd: 1, sync: true }).write(rest);
      } catch {
        // As above.
      }
    }
  });
  stdout = pino.destination({ fd: 1, sync: false });
  batcher = new LineBatcher(stdout);
  return batcher;
}
