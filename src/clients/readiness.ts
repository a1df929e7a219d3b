/**
 * Waiting for the backends at start. A stack started together (compose, Kubernetes) brings
 * tongxing up before PostgreSQL accepts connections or before a Redis Cluster has assigned its
 * slots: tongxing waits for each, says every few seconds what it waits for, goes on within a
 * poll of the backend being ready, and gives up after STARTUP_TIMEOUT, so an orchestrator
 * sees an exit and a reason instead of a process that neither listens nor dies.
 */
import type { Logger } from "pino";

/** How a start waits: one deadline for the whole start (STARTUP_TIMEOUT). */
export interface StartupWait {
  log: Logger;
  /** Epoch milliseconds after which waiting stops. */
  deadline: number;
  /** STARTUP_TIMEOUT in seconds, for the messages. */
  timeoutSeconds: number;
}

/** Milliseconds between two "waiting for" lines: every few seconds, not every poll. */
const LOG_EVERY_MS = 3000;
/** Milliseconds between two attempts. */
const POLL_MS = 250;
/** Milliseconds one attempt may take before it counts as "no answer". */
const ATTEMPT_MS = 5000;

/** A backend was still not ready when STARTUP_TIMEOUT ran out; the message names it and why. */
export class BackendNotReadyError extends Error {
  constructor(
    readonly backend: string,
    message: string,
  ) {
    super(message);
  }
}

/** The deadline of a start beginning now. */
export function startupWait(log: Logger, timeoutSeconds: number): StartupWait {
  return { log, deadline: Date.now() + timeoutSeconds * 1000, timeoutSeconds };
}

/**
 * Calls `attempt` until it resolves, every POLL_MS, logging at warn "waiting for <backend>:
 * <reason>" on the first failure and then every LOG_EVERY_MS.
 * @param backend - the name in the log lines and the error ("PostgreSQL", "Redis Cluster")
 * @param attempt - resolves when the backend is ready; its rejection's message is the reason
 * @param isPermanent - a failure that waiting cannot cure (a bad database name): thrown at once
 * @returns what `attempt` resolved with
 * @throws BackendNotReadyError once `wait.deadline` has passed; a permanent failure as it is
 */
export async function waitUntilReady<T>(
  backend: string,
  attempt: () => Promise<T>,
  wait: StartupWait,
  isPermanent: (err: unknown) => boolean = () => false,
): Promise<T> {
  let loggedAt = 0;
  let reason: string | undefined;
  for (;;) {
    const left = wait.deadline - Date.now();
    if (left <= 0) {
      throw new BackendNotReadyError(
        backend,
        `${backend} not ready within STARTUP_TIMEOUT (${wait.timeoutSeconds} s), giving up: ${reason ?? "no answer"}`,
      );
    }
    try {
      return await withTimeout(attempt(), Math.min(ATTEMPT_MS, left));
    } catch (err) {
      // No answer in time is the very thing waiting is for, whatever isPermanent says of it.
      if (!(err instanceof AttemptTimeout) && isPermanent(err)) throw err;
      // An attempt cut short by the deadline says nothing new: keep the reason before it.
      const cutShort = err instanceof AttemptTimeout && left < ATTEMPT_MS;
      if (!(cutShort && reason)) reason = redactUrls(describe(err));
    }
    const now = Date.now();
    if (now - loggedAt >= LOG_EVERY_MS && now < wait.deadline) {
      wait.log.warn({ backend }, `waiting for ${backend}: ${reason}`);
      loggedAt = now;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(POLL_MS, wait.deadline - now))));
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.message || String((err as { code?: unknown }).code ?? err.name);
}

class AttemptTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Drops the password from any URL in `text` ("redis://:secret@host" → "redis://:***@host"):
 * a driver's message may quote the URL it was given, and the reason goes to the log.
 */
export function redactUrls(text: string): string {
  return text.replace(/(\/\/[^\s:/@]*):[^\s@/]*@/g, "$1:***@");
}
