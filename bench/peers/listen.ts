/**
 * Bench-only plumbing shared by the peer servers: the listening port (PORT) and Redis (REDIS_URL)
 * from the environment, and the one line every bench server prints when it is up.
 */
import type { Server } from "node:http";

export const PORT = Number(process.env.PORT ?? 0);
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** The peers' cookie-signing or JWT secret: any 32+ bytes, the same on both instances. */
export const SECRET = process.env.PEER_SECRET ?? "bench-peer-secret-0123456789abcdef";

export function announce(server: Server): void {
  server.on("listening", () => {
    const { port } = server.address() as { port: number };
    console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, msg: "listening" }));
  });
}
