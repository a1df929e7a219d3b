/**
 * A TCP proxy on loopback that a test can cut and restore, to make Redis or PostgreSQL
 * unreachable for the server under test without touching the shared services; or that can
 * blackhole some connections: they stay open and deliver nothing either way, as in a network
 * partition that drops packets without resetting anything (a half-open connection).
 */

import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";

export class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  /** Connections whose client sent bytes matching this stop forwarding (both ways), unclosed. */
  private hole: RegExp | undefined;
  port = 0;
  /** Everything clients sent through the proxy since `recording` was set (latin1), to count commands in. */
  sent = "";
  recording = false;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = "127.0.0.1",
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (this.cutOff) return client.destroy();
      const upstream = connect(this.targetPort, this.targetHost);
      // As Redis and ioredis set on their own sockets: without it, Nagle's algorithm holds a
      // small write (an invalidation) until the previous one is acknowledged, up to a delayed
      // ACK's 40 ms, which no real connection between them has.
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // What the client has sent so far (its first kilobytes: a Redis client names itself there).
      let sent = "";
      const held = () => this.hole?.test(sent) ?? false;
      client.on("data", (chunk: Buffer) => {
        if (sent.length < 4096) sent += chunk.toString("latin1");
        if (this.recording) this.sent += chunk.toString("latin1");
        if (!held()) upstream.write(chunk);
      });
      upstream.on("data", (chunk: Buffer) => {
        if (!held()) client.write(chunk);
      });
      client.on("end", () => upstream.end());
      upstream.on("end", () => client.end());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Drops every open connection and refuses new ones. */
  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  /** From now on, connections whose client sent something matching `pattern` deliver nothing. */
  blackhole(pattern: RegExp): void {
    this.hole = pattern;
  }

  restore(): void {
    this.cutOff = false;
    this.hole = undefined;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
