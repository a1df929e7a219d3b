/**
 * The JSON body parser (koa-body: JSON only, 16 KB, strict) with its failures turned into the
 * client's errors. A body that does not decompress as its Content-Encoding says reaches us as a
 * bare zlib error, which would be a 500 with a stack in the log: it is bad input, a 400 (OWASP
 * ASVS V7.4.1: no stack traces for what the client sent).
 */
import type { Context, Next } from "koa";
import { koaBody } from "koa-body";
import { invalidRequest, unsupportedMediaType } from "../errors.js";

/** Middleware: parses a JSON body into ctx.request.body. */
export function parseJsonBody() {
  const parse = koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: "16kb", jsonStrict: true });
  return async function parseJsonBody(ctx: Context, next: Next): Promise<void> {
    // koa-body parses only these methods (its default parsedMethods): the rest skip a promise hop.
    if (ctx.method !== "POST" && ctx.method !== "PUT" && ctx.method !== "PATCH") return next();
    let parsed = false;
    try {
      await parse(ctx, () => {
        parsed = true;
        return next();
      });
    } catch (err) {
      // Errors from the routes behind us pass through untouched.
      throw parsed ? err : bodyError(ctx, err);
    }
  };
}

/** What a failure to read the body means to the client. */
function bodyError(ctx: Context, err: unknown): unknown {
  const status = (err as { status?: unknown })?.status;
  const encoded = ctx.get("content-encoding") !== "";
  // co-body's inflation refuses encodings other than gzip, deflate, br and identity with a 415.
  if (status === 415 && encoded && /encoding/i.test((err as Error).message)) {
    return unsupportedMediaType("Content-Encoding must be gzip, deflate, br or identity.");
  }
  // 400 (not JSON), 413 (too large), 415 (not JSON's type): the error handler maps these.
  if (typeof status === "number" && status >= 400 && status < 500) return err;
  if (encoded) return invalidRequest("The request body does not decompress as its Content-Encoding says.");
  return invalidRequest("The request body could not be read.");
}
