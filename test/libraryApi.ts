/**
 * A team's business API on the library (@tongxing/verifier's Koa middleware), listening on
 * 127.0.0.1, for the suites that check what it lets through.
 */
import type { AddressInfo } from "node:net";
import Koa, { type Middleware } from "koa";
import type { SessionState } from "../verifier/src/index.js";

/**
 * Starts Koa with `middlewares`, then a last one answering `body(ctx)` as JSON.
 * @returns its URL and close()
 */
export async function startLibraryApi(
  middlewares: Middleware<SessionState>[],
  body: (ctx: Koa.ParameterizedContext<SessionState>) => unknown = () => ({ ok: true }),
): Promise<{ url: string; close(): void }> {
  const app = new Koa<SessionState>();
  for (const m of middlewares) app.use(m);
  app.use((ctx) => {
    ctx.body = body(ctx);
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
