/**
 * For the exchanges' tests: a pino logger whose lines the test reads back (what was logged, and
 * that no secret was), and the two refusals every exchange answers with.
 */
import { Writable } from "node:stream";
import { pino } from "pino";

/** A debug-level logger and the JSON lines it wrote. */
export function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

/** What a refused code is (types.ts's ExchangeCode). */
export const refused = { status: 401, code: "LOGIN_CODE_INVALID" };
/** What a failing platform, a wrong secret or a bad answer is. */
export const unavailable = { status: 502, code: "PLATFORM_UNAVAILABLE" };
