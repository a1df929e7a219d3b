/**
 * Bench-only: the floor. A bare Koa app answering one JSON route, no middleware at all: what HTTP,
 * Koa, the kernel and the load generator cost on the machine at hand, against which tongxing's
 * routes are compared (the "÷ bare Koa" ratios). Prints the same "tongxing listening" line as main.ts.
 */
import Koa from "koa";

const app = new Koa();
app.use((ctx) => {
  ctx.body = { status: "ok" };
});
const port = Number(process.env.PORT ?? 0);
const server = app.listen(port, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}`, msg: "tongxing listening" }));
});
