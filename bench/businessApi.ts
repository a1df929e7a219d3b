/**
 * Bench-only: the business API behind the gateway, as small as node:http allows. Every path
 * answers a small JSON list of orders (the gateway scenario asks for `GET /orders`), so what is
 * measured through nginx is the gateway and the session check, not this server.
 */
import { createServer } from "node:http";
import { announce, PORT } from "./peers/listen.js";

const body = JSON.stringify({ orders: [{ id: 1, total: 4200 }] });
const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
});
announce(server);
server.listen(PORT, "127.0.0.1");
