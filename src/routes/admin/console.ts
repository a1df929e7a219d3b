/**
 * GET /admin/console/: the admin console's static files (built by `npm run build` from
 * src/console into dist/console), served only when ADMIN_TOKEN is set (adminGate answers 404
 * otherwise, as for the admin API). The page itself needs no token to load: it asks for one and
 * calls the admin API with it. Its own Content-Security-Policy: scripts, styles and API calls from
 * this origin only, no inline script or style, no framing (frame-ancestors 'none').
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type Router from "@koa/router";
import { notFound } from "../../errors.js";
import { createRouter } from "../router.js";

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The files there are, with their types. A Map, not an object literal: a lookup by a name from the
 * URL must not find what every object inherits (`toString`, `__proto__`, ...).
 */
const FILES = new Map([
  ["", "text/html; charset=utf-8"],
  ["index.html", "text/html; charset=utf-8"],
  ["console.js", "text/javascript; charset=utf-8"],
  ["console.css", "text/css; charset=utf-8"],
]);

/**
 * Where the built console is: dist/console beside this module's dist/routes, or, when tongxing
 * runs from src/ (tests, `npm run dev`), the dist/console of the last build.
 */
function consoleDir(): string | undefined {
  for (const candidate of ["../../console/", "../../../dist/console/"]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}console.js`)) return dir;
  }
  return undefined;
}

export function consoleRoutes(): Router {
  const router = createRouter("/admin/console");
  const dir = consoleDir();
  router.get("/", function consoleRoot(ctx) {
    // Relative asset URLs need the trailing slash.
    if (!ctx.path.endsWith("/")) {
      ctx.redirect("/admin/console/");
      return;
    }
    return serve(ctx, "index.html");
  });
  router.get("/:file", function consoleFile(ctx) {
    return serve(ctx, ctx.params.file ?? "");
  });
  async function serve(ctx: Parameters<Parameters<typeof router.get>[1]>[0], file: string) {
    const type = FILES.get(file);
    if (!dir || !type) throw notFound();
    ctx.set("Content-Security-Policy", CONSOLE_CSP);
    ctx.type = type;
    ctx.body = await readFile(`${dir}${file || "index.html"}`);
  }
  return router;
}
