/**
 * A process-local cache of resolved sessions, kept exact by Redis's server-assisted client-side
 * caching (https://redis.io/docs/latest/develop/reference/client-side-caching/, "two
 * connections mode"): the data connection runs `CLIENT TRACKING ON REDIRECT <id> BCAST PREFIX
 * <prefix>{u`, and a second connection, subscribed to `__redis__:invalidate`, hears of every
 * write to any user's hash (logout, revoke, logout-others, ban, account deletion, a new login, a
 * renewal by any instance, expiry cleanup by a script) and drops that user's entries.
 *
 * Why BCAST on the user-key prefix rather than default (per-key) tracking: Redis keeps no
 * per-key table for it (the default mode's table is capped by tracking-table-max-keys and
 * evicts into invalidation storms), and it does not matter which connection or instance read a
 * key; the price is that every instance hears of every user's writes, a few dozen bytes each.
 *
 * Safety, in this order:
 * - an entry is used only while both connections are up and tracking was switched on for the
 *   current data connection; any drop of either empties the cache and bypasses it until both are
 *   back (then it is emptied again);
 * - a read is cached only if no invalidation of its user arrived while it was in flight and the
 *   connections did not change meanwhile (`ticket()`), so a late reply cannot re-insert what a
 *   write just invalidated;
 * - this instance's own writes drop the user's entries before and after they run
 *   (`invalidateUser`), without waiting for Redis's message: the next request here sees them;
 * - entries also end at the session's expiresAt and after `ttlMs` (SESSION_CACHE_TTL);
 * - an entry is used only while the invalidation connection has proved, within the last
 *   SESSION_CACHE_PROOF_MS, that it still delivers: it is PINGed every PING_MS, and a PONG
 *   comes back behind every invalidation Redis queued on that connection before the PING, so
 *   once the PONG of a PING sent at time s has arrived, every write made before s has been heard
 *   of. In a partition that leaves the socket open but silent (half-open: no FIN, no RST), the
 *   cache stops answering SESSION_CACHE_PROOF_MS after the last PING that came back was sent,
 *   which bounds what it can miss; no answer within a second also closes the connection (the
 *   docs' advice for half-open connections) and empties the cache. (In BCAST mode Redis sends
 *   invalidations in its event loop's beforeSleep, so a write made in the very iteration that
 *   answered the PING may be heard of just after its PONG: a few microseconds more at most.)
 * - Redis unreachable: the session check fails with 503 as without a cache (resolveSession.ts only
 *   consults the cache while it is usable, and a cache that cannot hear invalidations is not); a
 *   closed socket is seen when it reads its end (`watchSocket`), and a cached answer waits one
 *   turn of the event loop (resolveSession.ts), so I/O that arrived before the request is handled first.
 * Redis Cluster: tracking is per node; clusterTracking.ts tracks every node and drives this
 * cache through the same switch (`setUsable`) and proof of delivery (`provenAt`).
 */
import type { Cluster, Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import { ClusterTracking } from "./clusterTracking.js";
import type { Notices } from "./notices.js";
import type { SessionRecord } from "./record.js";

/** SESSION_CACHE, SESSION_CACHE_TTL (ms), SESSION_CACHE_MAX (sessions). */
export interface SessionCacheOptions {
  /** Milliseconds an entry may be used at most (a safety net under the invalidations). */
  ttlMs: number;
  /** Sessions kept at most; least recently used users go first. */
  maxSessions: number;
  /** REDIS_KEY_PREFIX: the user hashes are `<prefix>{u<id>}` (keys.ts). */
  prefix: string;
}

interface Entry {
  record: SessionRecord;
  /** Epoch ms after which the entry is not used: min(expiresAt, cached + ttl). */
  until: number;
}

/** Counters for metrics: hits, misses, and checks that bypassed the cache while it was unusable. */
export interface SessionCacheStats {
  hit(): void;
  miss(): void;
  bypass(): void;
}

/** An in-flight read's claim to be cached: the state it started under. */
export interface Ticket {
  generation: number;
  seq: number;
  startedAt: number;
}

/**
 * Milliseconds since the invalidation connection last proved it delivers (a PONG received, counted
 * from when its PING was sent) after which the cache is not used: the longest a write that Redis
 * could not deliver an invalidation for (a half-open connection) can go unseen.
 */
export const SESSION_CACHE_PROOF_MS = 500;
/** Milliseconds between PINGs on the invalidation connection: several per proof window. */
const PING_MS = 100;

/** How long an invalidation is remembered against reads still in flight (ms). */
const REMEMBER_MS = 10_000;

export class SessionCache {
  /** userKey → the user's cached sessions by sid; sized by the number of sessions. */
  private readonly users: LRUCache<string, Map<string, Entry>>;
  /** userKey → `seq` of its latest invalidation, for reads in flight. */
  private readonly invalidated: LRUCache<string, number>;
  private seq = 0;
  /** Bumped on every connection change: a read that started under another generation is not cached. */
  private generation = 0;
  private usable = false;
  private dataUp = false;
  private subscriber: Redis | undefined;
  private subscriberId: number | undefined;
  private pinger: NodeJS.Timeout | undefined;
  /** Epoch ms at which the newest answered PING was sent on the current invalidation connection. */
  private provenAt = 0;
  private stopped = false;
  private cluster: ClusterTracking | undefined;

  constructor(
    private readonly opts: SessionCacheOptions,
    private readonly log: Notices,
    private readonly stats: SessionCacheStats = { hit() {}, miss() {}, bypass() {} },
  ) {
    this.users = new LRUCache({ maxSize: opts.maxSessions, sizeCalculation: (m) => Math.max(1, m.size) });
    this.invalidated = new LRUCache({ max: 100_000, ttl: REMEMBER_MS, ttlAutopurge: false });
  }

  /** True while entries may be used: both connections up, tracking on, invalidations proved to arrive. */
  get ready(): boolean {
    return this.usableAt(Date.now());
  }

  private usableAt(now: number): boolean {
    return this.usable && now - this.provenAt <= SESSION_CACHE_PROOF_MS;
  }

  private userKey(userId: number): string {
    return `${this.opts.prefix}{u${userId}}`;
  }

  /**
   * The cached session, if the cache is usable and the entry is still good at `now` (epoch ms).
   * The caller still applies the session rules (renewal) to it.
   */
  get(userId: number, sid: string, now: number): SessionRecord | undefined {
    if (!this.usableAt(now)) {
      this.stats.bypass();
      return undefined;
    }
    const entry = this.users.get(this.userKey(userId))?.get(sid);
    if (entry && entry.until > now) {
      this.stats.hit();
      return entry.record;
    }
    this.stats.miss();
    return undefined;
  }

  /** True while the cache is usable and still holds exactly this record for the session. */
  holds(userId: number, sid: string, record: SessionRecord): boolean {
    return this.usableAt(Date.now()) && this.users.peek(this.userKey(userId))?.get(sid)?.record === record;
  }

  /** Taken before a Redis read whose result may be cached. */
  ticket(now: number): Ticket {
    return { generation: this.generation, seq: this.seq, startedAt: now };
  }

  /** Caches a session read under `ticket`, unless anything could have made it stale meanwhile. */
  set(record: SessionRecord, ticket: Ticket, now: number): void {
    if (!this.usable || ticket.generation !== this.generation) return;
    // A reply slower than the invalidation memory could have missed one: not cached.
    if (now - ticket.startedAt > REMEMBER_MS / 2) return;
    const key = this.userKey(record.userId);
    if ((this.invalidated.get(key) ?? -1) > ticket.seq) return;
    const sessions = this.users.get(key) ?? new Map<string, Entry>();
    // Frozen: every check until the next write gets this very object (and its memoized view).
    sessions.set(record.sid, { record: Object.freeze(record), until: Math.min(record.expiresAt, now + this.opts.ttlMs) });
    this.users.set(key, sessions);
  }

  /** Drops the users named by an invalidation message (null: everything, as after FLUSHALL). */
  invalidate(keys: readonly string[] | null): void {
    this.seq++;
    if (keys === null) {
      // Every key changed: no read in flight may be cached either (their tickets' generation).
      this.generation++;
      this.users.clear();
      return;
    }
    for (const key of keys) {
      this.users.delete(key);
      this.invalidated.set(key, this.seq);
    }
  }

  /**
   * Drops a user's entries for a write this instance is making, before it is sent and again once
   * it is answered: Redis's invalidation message travels on another connection and may arrive
   * after the write's own reply, and the next request on this instance must not be answered
   * from the cache in between (a logout is refused on the very next request). Reads in flight
   * across the write are not cached either (`ticket`).
   */
  invalidateUser(userId: number): void {
    this.invalidate([this.userKey(userId)]);
  }

  private setUsable(value: boolean, why: string): void {
    this.generation++;
    this.users.clear();
    if (value !== this.usable) this.log[value ? "info" : "warn"](`session cache ${value ? "on" : "off until Redis is back"}: ${why}`);
    this.usable = value;
  }

  /**
   * Starts tracking on `data` (the service's own Redis connection) with invalidations redirected
   * to a connection of its own. Resolves once the first attempt is done, usable or not: the
   * cache follows both connections from then on.
   */
  async start(data: Redis): Promise<void> {
    const dataDown = () => {
      this.dataUp = false;
      if (this.usable) this.setUsable(false, "the data connection closed");
    };
    data.on("close", dataDown);
    data.on("ready", () => {
      this.dataUp = true;
      watchSocket(data, dataDown);
      void this.enableTracking(data);
    });
    this.dataUp = data.status === "ready";
    if (this.dataUp) watchSocket(data, dataDown);
    await this.connectSubscriber(data);
  }

  /**
   * Starts the cache on a Redis Cluster: every node tracked (clusterTracking.ts). Resolves once
   * each node's first attempt is done, usable or not.
   */
  async startCluster(cluster: Cluster): Promise<void> {
    this.cluster = new ClusterTracking(cluster, this.opts.prefix, this.log, {
      invalidate: (keys) => this.invalidate(keys),
      setUsable: (value, why) => this.setUsable(value, why),
      proven: (at) => {
        this.provenAt = at;
      },
    });
    await this.cluster.start();
  }

  private async connectSubscriber(data: Redis): Promise<void> {
    if (this.stopped) return;
    // A fresh connection each time (no automatic reconnect): its client id is what the data
    // connection redirects to, and it changes with every connection.
    const sub = data.duplicate({
      lazyConnect: true,
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      connectionName: `tongxing-invalidate-${process.pid}`,
    });
    sub.on("error", () => {});
    this.subscriber = sub;
    const retry = () => {
      if (this.subscriber !== sub) return;
      this.subscriber = undefined;
      this.subscriberId = undefined;
      clearInterval(this.pinger);
      if (this.usable) this.setUsable(false, "the invalidation connection closed");
      if (!this.stopped) setTimeout(() => void this.connectSubscriber(data), 200).unref();
    };
    sub.on("close", retry);
    try {
      await sub.connect();
      watchSocket(sub, () => {
        if (this.subscriber === sub && this.usable) this.setUsable(false, "the invalidation connection closed");
      });
      const id = Number(await sub.client("ID"));
      sub.on("messageBuffer", (_channel: Buffer, message: Buffer | Buffer[] | null) => {
        if (message === null) this.invalidate(null);
        else this.invalidate((Array.isArray(message) ? message : [message]).map((k) => k.toString()));
      });
      await sub.subscribe("__redis__:invalidate");
      this.subscriberId = id;
      this.startPinging(sub);
      await this.enableTracking(data);
    } catch (err) {
      this.log.warn({ err }, "session cache: could not open the invalidation connection; retrying");
      sub.disconnect();
    }
  }

  /**
   * PINGs the subscriber every PING_MS; each PONG proves delivery up to its PING's sending
   * (provenAt); one unanswered within a second closes the connection (and empties the cache).
   */
  private startPinging(sub: Redis): void {
    const deadline = Math.min(1000, this.opts.ttlMs);
    clearInterval(this.pinger);
    this.provenAt = 0;
    const ping = () => {
      const sentAt = Date.now();
      const timer = setTimeout(() => sub.disconnect(), deadline).unref();
      sub.ping().then(
        () => {
          clearTimeout(timer);
          if (this.subscriber === sub) this.provenAt = Math.max(this.provenAt, sentAt);
        },
        () => {
          clearTimeout(timer);
          sub.disconnect();
        },
      );
    };
    ping();
    this.pinger = setInterval(ping, PING_MS);
    this.pinger.unref();
  }

  private async enableTracking(data: Redis): Promise<void> {
    const id = this.subscriberId;
    if (id === undefined || !this.dataUp || this.stopped) return;
    const generation = ++this.generation;
    try {
      // OFF first: the redirect target changes with every invalidation connection.
      await data.client("TRACKING", "OFF");
      await data.client("TRACKING", "ON", "REDIRECT", String(id), "BCAST", "PREFIX", `${this.opts.prefix}{u`);
      // Only if nothing changed while we asked: else the next event does it again.
      if (generation === this.generation && id === this.subscriberId && this.dataUp) this.setUsable(true, "tracking user keys");
    } catch (err) {
      this.log.warn({ err }, "session cache: CLIENT TRACKING failed; the cache stays off");
    }
  }

  /** Stops pinging and closes the invalidation connection. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.pinger);
    this.cluster?.stop();
    this.usable = false;
    this.users.clear();
    this.subscriber?.disconnect();
  }
}

/**
 * Calls `down` as soon as the client's current socket reads its end or fails. ioredis reports a
 * lost connection on the socket's 'close', which Node emits in a later phase of the event loop
 * than the one that read the end: a request handled in between must already see the cache off.
 */
function watchSocket(client: Redis, down: () => void): void {
  const socket = client.stream;
  if (!socket) return;
  socket.once("end", down);
  socket.once("error", down);
}
