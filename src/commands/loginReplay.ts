/**
 * Login retries that just work: a login is idempotent per wx.login code for
 * LOGIN_REPLAY_WINDOW seconds.
 *
 * Why: mobile networks lose responses. The code is single-use at WeChat, so a mini-program that
 * retries a login whose answer it never got would be told 40163 ("code been used") and have to
 * call wx.login again. Instead the retry answers 200 with the same token and session.
 *
 * What is stored (Redis, per code, expiring with the window): under `lr:<id>`, where
 * id = SHA-256 of the code, the token and isNewUser sealed with AES-256-GCM under a key derived
 * from the code itself (HKDF-SHA256). Whoever reads Redis, or a dump of it, cannot recover the
 * token without the code; whoever has the code could have logged in with it anyway, within the
 * same minutes (a wx.login code lives 5 minutes). A replay resolves the token like any request:
 * once that session has ended (logout, revoke, ban, expiry), the code goes back to WeChat, which
 * refuses it as used (40163, 401 WECHAT_CODE_INVALID).
 *
 * Only to the client that logged in: a code that leaks after use (a proxy's access log, a crash
 * report) must not be a bearer credential for the window. The sealed outcome also holds a SHA-256
 * of that client's User-Agent and network (IPv4 /24, IPv6 /64: a retry comes moments later from
 * the same phone, which a carrier's NAT pool may give another address in the same block, and a
 * host is given a whole /64); a replay from any other client gets what a spent code gets, 401
 * WECHAT_CODE_INVALID, without asking WeChat. Only the hash is stored, and only inside the sealed
 * value: no IP address is added to Redis. The window's remaining reach: whoever has the code, the
 * User-Agent (often in the same log line) and an address in the same /24 or /64 (a shared NAT or
 * Wi-Fi) until the session ends or the window does.
 *
 * Concurrent duplicates (a double tap): the first takes `lr:<id>:lock` (SET NX, expiring) and
 * exchanges the code; the others wait for its result and replay it, so one code2Session call
 * and one session come out. A failed exchange stores nothing and releases the lock.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hash,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import type { RedisClient } from "../clients/redis.js";
import { compareAndDelete } from "../clients/redis.js";
import { type AppError, wechatCodeInvalid } from "../errors.js";

/** What a login attempt does with its code. */
export type ReplayAttempt =
  | { replayed: true; token: string; isNewUser: boolean }
  | {
      replayed: false;
      /** Stores the login's outcome for retries of the same code. */
      remember(token: string, isNewUser: boolean): Promise<void>;
      /** Lets waiting duplicates go (after remember, or after a failure). */
      release(): Promise<void>;
    };

const POLL_MS = 25;

/** The client of a login, as the server saw it. */
export interface ReplayClient {
  /** The client IP the server computed for the request (ctx.ip, as rate limiting uses it). */
  ip: string;
  /** The User-Agent header as received (sessions/userAgent.ts headerText). */
  userAgent: string;
}

/** Per-code login idempotency; `windowSeconds` 0 turns it off. */
export class LoginReplay {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** LOGIN_REPLAY_WINDOW, seconds. */
    private readonly windowSeconds: number,
    /** How long a duplicate waits for the first attempt (longer than its WeChat exchange), ms. */
    private readonly waitMs: number,
    /**
     * Dev mode: the built-in fake takes a code any number of times, so another client's replay
     * exchanges the code afresh (a session of its own) instead of being refused.
     */
    private readonly reusableCodes = false,
  ) {}

  /**
   * Starts a login with `code` from `client`: the stored outcome of that client's earlier login
   * with it, or the right to exchange it (waiting first while a concurrent duplicate holds that
   * right).
   * @param spent - the platform's refusal of a spent code (WeChat's WECHAT_CODE_INVALID by default)
   * @throws that refusal when the code's login was another client's (unless `reusableCodes`);
   *   whatever ioredis throws when Redis cannot be asked (the error handler answers 503)
   */
  async begin(code: string, client: ReplayClient, spent: () => AppError = wechatCodeInvalid): Promise<ReplayAttempt> {
    if (this.windowSeconds === 0) return { replayed: false, remember: async () => {}, release: async () => {} };
    const binding = clientBinding(client);
    const id = hash("sha256", `tongxing login replay\0${code}`, "base64url");
    const key = `${this.prefix}lr:${id}`;
    const lockKey = `${key}:lock`;
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const stored = await this.redis.get(key);
      const opened = stored === null ? null : open(code, id, stored);
      if (opened) {
        if (sameClient(opened.client, binding)) return { replayed: true, token: opened.token, isNewUser: opened.isNewUser };
        // To anyone else the code is spent, as the platform would say (WeChat: 40163); it is not asked.
        if (!this.reusableCodes) throw spent();
        return { replayed: false, remember: async () => {}, release: async () => {} };
      }
      const owner = randomBytes(9).toString("base64url");
      if ((await this.redis.set(lockKey, owner, "PX", this.waitMs, "NX")) === "OK") {
        return {
          replayed: false,
          remember: async (token, isNewUser) => {
            await this.redis.set(key, seal(code, id, { token, isNewUser, client: binding }), "EX", this.windowSeconds);
          },
          release: async () => {
            // Only our own lock: after waitMs it may be another attempt's.
            await compareAndDelete(this.redis, lockKey, owner);
          },
        };
      }
      // A duplicate is exchanging this code: wait for its outcome, or for it to give up.
      if (Date.now() > deadline) return { replayed: false, remember: async () => {}, release: async () => {} };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

interface Outcome {
  token: string;
  isNewUser: boolean;
  /** clientBinding of the login's client. */
  client: string;
}

/**
 * What a replay must match: SHA-256 (base64url) of the User-Agent and the network (IPv4 /24, an
 * IPv4-mapped IPv6 address as its IPv4; IPv6 /64), via ipaddr.js. An IP that does not parse is
 * taken as it is.
 */
function clientBinding({ ip, userAgent }: ReplayClient): string {
  let network = ip;
  if (isIP(ip)) {
    let addr = ipaddr.parse(ip);
    if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) addr = addr.toIPv4Address();
    network =
      addr instanceof ipaddr.IPv4
        ? `${ipaddr.IPv4.networkAddressFromCIDR(`${addr}/24`)}/24`
        : `${ipaddr.IPv6.networkAddressFromCIDR(`${addr}/64`).toNormalizedString()}/64`;
  }
  return hash("sha256", `tongxing login replay client\0${network}\0${userAgent}`, "base64url");
}

/** The AES-256-GCM key for one code: HKDF-SHA256 (RFC 5869) of the code, bound to its id. */
function keyFor(code: string, id: string): KeyObject {
  // A KeyObject: on Node 24 createCipheriv checks a Buffer key far more slowly (~25 µs a call).
  return createSecretKey(new Uint8Array(hkdfSync("sha256", code, "tongxing login replay", id, 32)));
}

function seal(code: string, id: string, outcome: Outcome): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(code, id), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(outcome), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** Whether a stored binding is `binding`, compared in constant time. */
function sameClient(stored: string, binding: string): boolean {
  const [a, b] = [Buffer.from(stored, "base64url"), Buffer.from(binding, "base64url")];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** @returns the outcome, or null for a value that does not open (tampered, another code) */
function open(code: string, id: string, sealed: string): Outcome | null {
  try {
    const raw = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", keyFor(code, id), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    const parsed = JSON.parse(text) as Outcome;
    // A value sealed before replays were bound to their client has no client: it does not open,
    // so the code goes to WeChat, which refuses it as used.
    return typeof parsed.token === "string" && typeof parsed.isNewUser === "boolean" && typeof parsed.client === "string" ? parsed : null;
  } catch {
    return null;
  }
}
