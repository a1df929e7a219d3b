/**
 * An example receiver of tongxing's events: verifies each delivery (receiver.js) and prints the
 * event as one JSON line. Put its URL and secret in tongxing's WEBHOOKS:
 *
 *   WEBHOOK_SECRET="whsec_$(openssl rand -base64 32)" PORT=4100 node server.js
 *   WEBHOOKS='[{"url": "http://127.0.0.1:4100/", "secret": "<the same whsec_...>"}]'
 *
 * Environment: WEBHOOK_SECRET (required), PORT (default 4100, 0 for any), HOST (default 127.0.0.1).
 * A receiver on another machine is reached over https:// (tongxing refuses http:// there outside
 * dev mode): put it behind your TLS-terminating proxy.
 */
import { createServer } from "node:http";
import { webhookHandler } from "./receiver.js";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error("WEBHOOK_SECRET is required (the endpoint's whsec_... secret from tongxing's WEBHOOKS)");
  process.exit(2);
}

const handler = webhookHandler({
  secret,
  onEvent(event, id) {
    // Here a real backend acts: close the user's WebSockets on session.ended, erase them on user.deleted...
    console.log(JSON.stringify({ id, ...event }));
  },
});
const server = createServer((req, res) => {
  handler(req, res).catch(() => res.writeHead(500).end());
});
server.listen(Number(process.env.PORT ?? 4100), process.env.HOST ?? "127.0.0.1", () => {
  const { address, port } = server.address();
  console.error(`webhook receiver listening on http://${address}:${port}/`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
