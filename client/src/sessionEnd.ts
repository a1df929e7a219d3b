/**
 * Why tongxing refused a token, and which refusals the mini-program client may answer by logging
 * in again by itself. tongxing's 401 TOKEN_INVALID carries `reason` (since it keeps how each
 * session ended): a session that lapsed (UNKNOWN, EXPIRED) is the client's to renew silently; one
 * that somebody ended (another device's login, the user elsewhere, an operator, a ban, the
 * account's deletion, a logout) is the person's to decide about. Logging in again by itself there
 * would push the other device out in turn (two devices taking the session from each other for
 * ever), or hide from the person that they were banned. An older tongxing sends no `reason`: its
 * TOKEN_INVALID is taken as a lapse, as before. An ended session's end is kept (endKeeper) until
 * the app logs in again, and every request is refused with it meanwhile.
 */
import { TongxingError } from "./errors.js";
import type { Runtime } from "./runtimes/runtime.js";

/**
 * Why a session is not live, as tongxing's 401 TOKEN_INVALID says in `error.reason`:
 * - `UNKNOWN`: never issued, or ended so long ago that tongxing keeps nothing of it;
 * - `EXPIRED`: the idle or absolute timeout passed;
 * - `LOGGED_OUT`: this token was logged out (by a logout that did not go through this client);
 * - `REPLACED`: pushed out by a newer login, e.g. on another device ("您的账号已在其他设备登录");
 * - `REVOKED`: ended by the user from another session, or by an operator;
 * - `BANNED`: the user is banned (`bannedUntil`, and `banReason` when the operator gave one);
 * - `DELETED`: the account was deleted.
 * A newer tongxing may send reasons not listed here; the client treats them as ended, never as a lapse.
 */
export type SessionEndReason = "UNKNOWN" | "EXPIRED" | "LOGGED_OUT" | "REPLACED" | "REVOKED" | "BANNED" | "DELETED";

/** A session somebody ended, as passed to `onSessionEnded` and returned by `getSessionEnd()`. */
export interface SessionEnd {
  /** Never `UNKNOWN` or `EXPIRED` here: those the client renews by itself. */
  reason: SessionEndReason;
  /**
   * BANNED: when the ban ends, ISO 8601 as tongxing sent it (e.g. "2026-12-11T22:06:37.000Z"),
   * like every time in this package; `new Date(bannedUntil)` to format it.
   */
  bannedUntil?: string;
  /** BANNED: the operator's reason, when one was given. */
  banReason?: string;
}

/** The reasons the client renews by itself: the session lapsed, nobody ended it. */
const LAPSED = new Set(["UNKNOWN", "EXPIRED"]);

/**
 * The end a refusal reports: a 401 TOKEN_INVALID whose `reason` is not a lapse.
 * @returns null for anything else: another error, TOKEN_MISSING, UNKNOWN, EXPIRED, or no `reason`
 *   (an older tongxing)
 */
export function sessionEndOf(error: TongxingError): SessionEnd | null {
  if (error.status !== 401 || error.code !== "TOKEN_INVALID" || !error.reason || LAPSED.has(error.reason)) return null;
  return {
    reason: error.reason,
    ...(error.bannedUntil !== undefined && { bannedUntil: error.bannedUntil }),
    ...(error.banReason !== undefined && { banReason: error.banReason }),
  };
}

/** What the client keeps of an end in the runtime's storage: the end, and the server's message. */
type KeptEnd = SessionEnd & { message: string };

/** Reads a kept end. @returns null when `raw` holds none (nothing, or not one the client wrote) */
function readEnd(raw: unknown): KeptEnd | null {
  if (typeof raw !== "string" || !raw) return null;
  try {
    const kept = JSON.parse(raw) as Partial<KeptEnd> | null;
    return kept && typeof kept.reason === "string" ? { message: "", ...kept, reason: kept.reason } : null;
  } catch {
    return null;
  }
}

/** The end the client keeps: in the runtime's storage under `key`, so that it outlives a restart. */
export interface EndKeeper {
  /** The kept end, or null. */
  get(): SessionEnd | null;
  /** The error a request is refused with, locally, while an end is kept (the server's, rebuilt), or null. */
  refusal(): TongxingError | null;
  /** Keeps `error`'s end and tells the app (`onSessionEnded`). */
  keep(end: SessionEnd, error: TongxingError): void;
  /** Forgets the kept end (a login succeeded). */
  clear(): void;
}

/**
 * An end keeper on the runtime's storage (strings only: JSON, as every runtime keeps strings).
 * @param onSessionEnded - the app's option; an exception it throws stays the app's
 */
export function endKeeper(
  storage: Pick<Runtime, "getStorage" | "setStorage" | "removeStorage">,
  key: string,
  onSessionEnded?: (end: SessionEnd) => void,
): EndKeeper {
  const read = () => readEnd(storage.getStorage(key));
  return {
    get() {
      const kept = read();
      if (!kept) return null;
      const { message: _, ...end } = kept;
      return end;
    },
    refusal() {
      const kept = read();
      if (!kept) return null;
      const { message, ...end } = kept;
      return new TongxingError("TOKEN_INVALID", 401, message, end);
    },
    keep(end, error) {
      storage.setStorage(key, JSON.stringify({ ...end, message: error.message }));
      try {
        onSessionEnded?.(end);
      } catch (err) {
        // Reported by the runtime as an unhandled rejection, like any other error of the app's;
        // the request still rejects with the session's end.
        Promise.reject(err);
      }
    },
    clear: () => storage.removeStorage(key),
  };
}
