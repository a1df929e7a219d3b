/**
 * The forward-auth fast path (VERIFY_FAST_PATH, on by default): `GET` and `HEAD /auth/verify`
 * with a live session are answered by a plain node:http listener in front of the Koa app, with
 * the very answer the route gives (verifiedAnswer in verify.ts), the same security headers,
 * request id, log line and metrics (requestRecorder in requestLog.ts), and the same session
 * check (Sessions.check, with its cache and its wait for the turn's I/O).
 *
 * Why it exists: a gateway calls /auth/verify before every request of the team's API, and at one
 * connection the check's added latency is what the API's users feel. Koa's context, the
 * middleware chain and the router cost a checked request about as much as everything else
 * tongxing does for it (docs/performance.md, "Through the gateway"). Turn it off
 * (`VERIFY_FAST_PATH=off`) to compare, or to have every request go through the app.
 *
 * Everything else goes to the app, which answers it as it always has: another path or method, a
 * query string, an Origin header while CORS_ORIGINS is set, no token, a wrong service token, a
 * refused session, Redis unavailable. A refused or failed check is therefore made a second
 * time by the app: refusals are the rare case, and the app alone words them.
 *
 * A live session's answer (its headers and JSON) is prepared once per session record and kind
 * of caller, and written with one writeHead: the session cache hands the same record object to
 * every check until a write replaces it, so the answer can change by itself only when one of the
 * user's restrictions lifts or the session's step-up ends, and it is prepared again from then on
 * (`changesAt`). At one connection this was a fifth of tongxing's own time on the check.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { readToken } from "../../../verifier/src/readToken.js";
import type { SessionRecord } from "../../../verifier/src/record.js";
import { isEnd } from "../../../verifier/src/resolveSession.js";
import type { AppDeps } from "../../deps.js";
import { requestIdOf, requestRecorder } from "../../middlewares/requestLog.js";
import { SECURITY_HEADERS } from "../../middlewares/securityHeaders.js";
import { FORWARD_AUTH_HEADER, serviceCallerRule, verifiedAnswer } from "./verify.js";

const PATH = "/auth/verify";
const SERVICE_TOKEN_HEADER = FORWARD_AUTH_HEADER.serviceToken.toLowerCase();

/**
 * Wraps the app's request listener with the fast path.
 * @param app - the Koa app's callback: what every request the fast path does not answer goes to
 * @param isShuttingDown - true once shutdown has begun (answers then carry `Connection: close`, as the app's do)
 */
export function verifyFastPath(deps: AppDeps, app: RequestListener, isShuttingDown: () => boolean): RequestListener {
  const { sessions, config, metrics, log } = deps;
  const record = requestRecorder(log, metrics);
  const callerOf = serviceCallerRule(config.serviceToken);
  const cors = config.corsOrigins.length > 0;
  const valid = metrics.resolution.valid;

  const prepared = new WeakMap<SessionRecord, { user?: Prepared; service?: Prepared }>();

  /** The answer for `session` at `now`: the one prepared before while it still holds, else a new one. */
  function preparedAnswer(session: SessionRecord, serviceCaller: boolean, now: number): Prepared {
    let kinds = prepared.get(session);
    if (!kinds) {
      kinds = {};
      prepared.set(session, kinds);
    }
    const kind = serviceCaller ? "service" : "user";
    const known = kinds[kind];
    if (known && now < known.changesAt) return known;
    const { headers, body } = verifiedAnswer(session, serviceCaller, now);
    const json = JSON.stringify(body);
    const made: Prepared = {
      changesAt: changesAt(session, now),
      json,
      headers: [
        ...SECURITY_HEADERS.flat(),
        // @koa/cors varies every answer by Origin once CORS_ORIGINS is set (a request with one goes to the app).
        ...(cors ? ["Vary", "Origin"] : []),
        ...headers.flat(),
        "Content-Type",
        "application/json; charset=utf-8",
        "Content-Length",
        String(Buffer.byteLength(json)),
      ],
    };
    kinds[kind] = made;
    return made;
  }

  function answer(req: IncomingMessage, res: ServerResponse, session: SessionRecord, serviceCaller: boolean, started: number): void {
    const requestId = requestIdOf(header(req, "x-request-id"));
    const { headers, json } = preparedAnswer(session, serviceCaller, Date.now());
    const all = ["X-Request-Id", requestId, ...headers];
    if (isShuttingDown()) all.push("Connection", "close");
    res.writeHead(200, all);
    res.end(req.method === "HEAD" ? undefined : json);
    valid.inc();
    record({
      method: req.method as string,
      route: PATH,
      status: 200,
      durationMs: performance.now() - started,
      requestId,
      userId: session.userId,
    });
  }

  return function verifyFastPath(req, res) {
    if (req.url !== PATH || (req.method !== "GET" && req.method !== "HEAD") || (cors && req.headers.origin !== undefined)) {
      app(req, res);
      return;
    }
    const started = performance.now();
    const token = readToken({ get: (name) => header(req, name) }, config.tokenHeader);
    const caller = callerOf(header(req, SERVICE_TOKEN_HEADER));
    const serviceCaller = caller === "service";
    if (!token || caller === "wrong") {
      app(req, res);
      return;
    }
    sessions
      .check(token)
      .then(
        (session) => {
          if (isEnd(session)) app(req, res);
          else answer(req, res, session, serviceCaller, started);
        },
        () => app(req, res),
      )
      .catch((err: unknown) => {
        // Only answer() can get here (a bug, not a refusal): the app answers, and words the error,
        // unless this answer had begun.
        log.error({ err }, "forward-auth fast path failed");
        if (res.headersSent) res.destroy();
        else app(req, res);
      });
  };
}

/** A live session's answer, as written: headers as writeHead takes them (name, value, name, value...) and the JSON body. */
interface Prepared {
  headers: string[];
  json: string;
  /** Epoch ms from which the answer may differ: the next restriction to lift itself, or the step-up's end. */
  changesAt: number;
}

/**
 * When verifiedAnswer's answer for `session` next changes with time alone (epoch ms; Infinity:
 * never): a restriction's `until` or the step-up's end, whichever comes first after `now`.
 */
export function changesAt(session: SessionRecord, now: number): number {
  let at = session.elevatedUntil > now ? session.elevatedUntil : Number.POSITIVE_INFINITY;
  for (const { until } of session.restrictions) if (until !== null && until > now && until < at) at = until;
  return at;
}

/** A request header as Koa's `ctx.get` reads it: "" when absent. */
function header(req: IncomingMessage, name: string): string {
  return (req.headers[name] as string | undefined) ?? "";
}
