/**
 * A real HTTP receiver for the events suites: examples/webhook-receiver's handler (verification
 * with the Standard Webhooks reference library, de-duplication by webhook-id) on a node:http
 * server whose behaviour a test sets: answer normally, answer 500, never answer, or be down
 * (its port closed, then opened again at the same address).
 *
 * It counts every request as it arrives, before verification, so a suite sees retries and
 * duplicates that the handler itself would hide.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type TongxingEvent, webhookHandler } from "../examples/webhook-receiver/receiver.js";

/** One request as it arrived. */
export interface Arrival {
  id: string;
  headers: IncomingHttpHeaders;
  /** Epoch milliseconds. */
  at: number;
}

export type Behaviour = "ok" | "error" | "hang";

export class TestReceiver {
  readonly secret = `whsec_${randomBytes(32).toString("base64")}`;
  /** Verified events, each once, in the order handled. */
  readonly events: (TongxingEvent & { id: string })[] = [];
  /** Every request, verified or not, retries included. */
  readonly arrivals: Arrival[] = [];
  /** Answers the handler gave (204, 401...), in order. */
  readonly answers: number[] = [];
  behaviour: Behaviour = "ok";
  /** Milliseconds to wait before handling a request (a slow receiver). */
  delayMs = 0;
  /** True once two requests with one webhook-id were in flight at the same time. */
  overlapped = false;
  private readonly inFlight = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private port = 0;

  /** @param path - the URL's path and query (a receiver may take a token in it) */
  constructor(private readonly path = "/hooks") {}

  private readonly handler = webhookHandler({
    secret: this.secret,
    onEvent: (event, id) => {
      this.events.push({ id, ...event });
    },
  });

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  /** Listens (again, on the same port after down()). */
  async up(): Promise<this> {
    const server = createServer((req, res) => {
      const id = String(req.headers["webhook-id"] ?? "");
      this.arrivals.push({ id, headers: req.headers, at: Date.now() });
      if (this.inFlight.has(id)) this.overlapped = true;
      this.inFlight.add(id);
      res.on("close", () => this.inFlight.delete(id));
      if (this.behaviour === "hang") return;
      if (this.behaviour === "error") {
        req.resume();
        res.writeHead(500).end("receiver error");
        return;
      }
      const handle = () => void this.handler(req, res).finally(() => this.answers.push(res.statusCode));
      if (this.delayMs > 0) setTimeout(handle, this.delayMs);
      else handle();
    });
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the port and every connection: tongxing's attempts are refused until up(). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Verified events of `type` (optionally of one user). */
  ofType(type: string, userId?: number): (TongxingEvent & { id: string })[] {
    return this.events.filter((e) => e.type === type && (userId === undefined || e.data.userId === userId));
  }

  /**
   * Waits until `check` returns a truthy value, polling every 25 ms.
   * @throws after `ms` milliseconds, with `what` and the events received so far
   */
  async until<T>(what: string, check: () => T | undefined | false, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) {
        throw new Error(`receiver: ${what} not within ${ms} ms; got ${JSON.stringify(this.events.map((e) => [e.type, e.data]))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits for an event of `type` for `userId` and returns it. */
  event(type: string, userId: number, ms?: number): Promise<TongxingEvent & { id: string }> {
    return this.until(`${type} for user ${userId}`, () => this.ofType(type, userId)[0], ms);
  }
}
