/**
 * The session cache's invalidations on a Redis Cluster. Tracking is per node in Redis, so every
 * node gets the single-Redis pair (sessionCache.ts): a subscriber on `__redis__:invalidate` and
 * a connection of ours running `CLIENT TRACKING ON REDIRECT <subscriber> BCAST PREFIX <prefix>{u`.
 * In BCAST mode a node reports every write under the prefix whichever connection read the key,
 * so ioredis's own data connections need no tracking.
 *
 * Which nodes: every node the cluster lists (CLUSTER NODES), masters and replicas alike, except
 * one marked failed that serves no slot. A replica reports the writes it replicates, and keeps
 * its tracking when promoted, so a failover never makes an untracked node the writer; resharding
 * moves keys only between tracked masters (MIGRATE's delete on the source and its RESTORE on the
 * target are writes both heard).
 *
 * Fail-closed, on top of sessionCache.ts's rules (in-flight tickets, this instance's own writes):
 * - the cache is usable only while every such node's pair is up, tracking on, and its subscriber
 *   answered a PING sent within SESSION_CACHE_PROOF_MS (the oldest proof among nodes counts);
 * - any pair closing or unanswered empties the cache and bypasses it until that node's pair is
 *   back (nodes are not told apart: one missing node turns the whole cache off);
 * - the topology is read on every node every PING_MS (and at once on ioredis's +node, -node and
 *   refresh): any change of a node, a role, a slot or a slot in migration empties the cache and
 *   starts again; a node added keeps the cache off until it is tracked too.
 * Costs per instance: two connections per node, and per node ten PINGs and ten CLUSTER NODES a
 * second.
 */
import { type Cluster, Redis } from "ioredis";
import type { Notices } from "./notices.js";

/** What the tracking drives in the cache (SessionCache implements it). */
export interface TrackingSink {
  /** Drops the users named by an invalidation (null: everything). */
  invalidate(keys: readonly string[] | null): void;
  /** Empties the cache and turns it on or off. */
  setUsable(value: boolean, why: string): void;
  /** Epoch ms at which the oldest of the newest answered PINGs was sent. */
  proven(at: number): void;
}

interface Pair {
  tracker: Redis;
  sub: Redis;
  /** Tracking switched on, redirected to this pair's subscriber. */
  on: boolean;
  /** Epoch ms at which the newest answered PING was sent. */
  provenAt: number;
  /** The node's last CLUSTER NODES, reduced to what matters here. */
  view: string;
  /** The node addresses it lists that the cache needs tracked. */
  needs: string[];
}

const PING_MS = 100;

export class ClusterTracking {
  private readonly pairs = new Map<string, Pair>();
  /** The nodes to track, "host:port", from the last topology read. */
  private wanted = new Set<string>();
  private usable = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly prefix: string,
    private readonly log: Notices,
    private readonly sink: TrackingSink,
  ) {}

  /** Reads the topology through ioredis, opens a pair per node; resolves once they are tried. */
  async start(): Promise<void> {
    const reread = () => void this.readTopology();
    for (const event of ["+node", "-node", "refresh"]) this.cluster.on(event, reread);
    this.timer = setInterval(() => this.tick(), PING_MS);
    this.timer.unref();
    await this.readTopology();
    await Promise.all([...this.wanted].map((address) => this.open(address)));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const address of [...this.pairs.keys()]) this.close(address);
  }

  private async readTopology(): Promise<void> {
    try {
      this.setWanted(parseNodes(String(await this.cluster.cluster("NODES"))).needs);
    } catch {
      // The pairs' own reads keep it current; a cluster that cannot answer has the cache off.
    }
  }

  /** Opens the pairs of nodes newly listed and closes those of nodes gone. */
  private setWanted(needs: string[]): void {
    const wanted = new Set(needs);
    if ([...wanted].sort().join() === [...this.wanted].sort().join()) return;
    this.wanted = wanted;
    this.update("the cluster's nodes changed", true);
    for (const address of this.pairs.keys()) if (!wanted.has(address)) this.close(address);
    for (const address of wanted) if (!this.pairs.has(address)) void this.open(address);
  }

  private connection(address: string, name: string): Redis {
    const [host, port] = splitAddress(address);
    const client = new Redis({
      ...this.cluster.options.redisOptions,
      host,
      port,
      lazyConnect: true,
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      // No reconnect: the subscriber's id, which tracking redirects to, changes with each.
      retryStrategy: () => null,
      connectionName: `tongxing-${name}-${process.pid}`,
    });
    client.on("error", () => {});
    return client;
  }

  private async open(address: string): Promise<void> {
    if (this.stopped || this.pairs.has(address)) return;
    const pair: Pair = {
      tracker: this.connection(address, "track"),
      sub: this.connection(address, "invalidate"),
      on: false,
      provenAt: 0,
      view: "",
      needs: [],
    };
    this.pairs.set(address, pair);
    const lost = () => {
      if (this.pairs.get(address) === pair) this.close(address);
    };
    for (const client of [pair.tracker, pair.sub]) client.on("close", lost);
    try {
      await Promise.all([pair.tracker.connect(), pair.sub.connect()]);
      for (const client of [pair.tracker, pair.sub]) {
        client.stream.once("end", lost);
        client.stream.once("error", lost);
      }
      const id = Number(await pair.sub.client("ID"));
      pair.sub.on("messageBuffer", (_channel: Buffer, message: Buffer | Buffer[] | null) => {
        if (message === null) this.sink.invalidate(null);
        else this.sink.invalidate((Array.isArray(message) ? message : [message]).map((k) => k.toString()));
      });
      await pair.sub.subscribe("__redis__:invalidate");
      await pair.tracker.client("TRACKING", "ON", "REDIRECT", String(id), "BCAST", "PREFIX", `${this.prefix}{u`);
      if (this.pairs.get(address) !== pair) return;
      pair.on = true;
      this.probe(address, pair);
    } catch (err) {
      if (this.pairs.get(address) === pair)
        this.log.warn({ err, node: address }, "session cache: could not track a cluster node; retrying");
      lost();
    }
  }

  /** Closes a node's pair; while the node is wanted, a new pair is tried 200 ms later. */
  private close(address: string): void {
    const pair = this.pairs.get(address);
    if (!pair) return;
    this.pairs.delete(address);
    pair.tracker.disconnect();
    pair.sub.disconnect();
    if (pair.on) this.update(`the connections to cluster node ${address} closed`, true);
    if (!this.stopped) setTimeout(() => this.wanted.has(address) && void this.open(address), 200).unref();
  }

  private tick(): void {
    for (const [address, pair] of this.pairs) if (pair.on) this.probe(address, pair);
  }

  /**
   * One PING on the subscriber (its PONG comes behind every invalidation queued before it) and
   * one CLUSTER NODES on the tracker; no answer within a second closes the pair.
   */
  private probe(address: string, pair: Pair): void {
    const sentAt = Date.now();
    const timer = setTimeout(() => this.close(address), 1000).unref();
    Promise.all([pair.sub.ping(), pair.tracker.cluster("NODES")]).then(
      ([, nodes]) => {
        clearTimeout(timer);
        if (this.pairs.get(address) !== pair) return;
        const { view, needs } = parseNodes(String(nodes));
        const changed = pair.view !== "" && view !== pair.view;
        pair.view = view;
        pair.needs = needs;
        pair.provenAt = Math.max(pair.provenAt, sentAt);
        if (changed) this.update(`cluster topology changed (seen on ${address})`, true);
        this.setWanted([...new Set([...this.pairs.values()].flatMap((p) => p.needs))]);
        this.update("tracking user keys on every cluster node", false);
      },
      () => {
        clearTimeout(timer);
        this.close(address);
      },
    );
  }

  /**
   * Recomputes whether the cache may be used: every wanted node tracked and proved once. `empty`
   * empties it even when that does not change (a topology change while usable).
   */
  private update(why: string, empty: boolean): void {
    const pairs = [...this.wanted].map((address) => this.pairs.get(address));
    const usable = !this.stopped && pairs.length > 0 && pairs.every((p) => p?.on && p.provenAt > 0);
    if (usable) this.sink.proven(Math.min(...pairs.map((p) => p?.provenAt ?? 0)));
    if (usable !== this.usable || empty) this.sink.setUsable(usable, why);
    this.usable = usable;
  }
}

/**
 * CLUSTER NODES reduced to the topology (ids, addresses, roles, slots, migrations; not the
 * ping times or link states) and the addresses of the nodes to track.
 */
export function parseNodes(text: string): { view: string; needs: string[] } {
  const lines = text.trim().split("\n").filter(Boolean);
  const view: string[] = [];
  const needs: string[] = [];
  for (const line of lines) {
    const [id, addr = "", flags = "", master, , , , , ...slots] = line.trim().split(" ");
    const address = addr.split("@")[0] ?? "";
    const roles = flags.split(",").filter((f) => f !== "myself");
    view.push([id, address, roles.join(), master, ...slots].join(" "));
    const failed = roles.some((f) => f === "fail" || f === "handshake" || f === "noaddr");
    if (address.startsWith(":") || (failed && slots.length === 0)) continue;
    needs.push(address);
  }
  return { view: view.sort().join("\n"), needs };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(":");
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
