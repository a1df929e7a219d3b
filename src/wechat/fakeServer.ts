/**
 * A fake of WeChat's server API, written from the official docs, for dev mode and tests.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
 *
 * What it reproduces: JSON bodies served as `text/plain`; errors as HTTP 200 with
 * `{errcode, errmsg}`; 40013 for a wrong appid, 40125 for a wrong secret; 41008 for a missing
 * code; single-use codes (a second use gives 40163) unless `reusableCodes` is set, as dev mode
 * does so that `alice` can log in again and again.
 *
 * Who is who: the part of a code before `#` names the user, so `alice`, `alice#1` and `alice#2`
 * are three codes of one user (one openid); a real wx.login gives a new code each time.
 * A code `fake-errcode-<n>` answers errcode n (e.g. `fake-errcode-40226`), so clients can try
 * each failure in dev mode. Tests can also script the next answers for a code with `script()`.
 *
 * Also: the stable access_token API (the same token until `invalidateAccessToken()`),
 * checkSessionKey (hmac_sha256 over "" keyed by the session_key text; 87009 otherwise) and
 * getuserphonenumber (a button code `phone-<digits>` is valid once; anything else is 40029).
 * A wrong or stale access_token gets 40001. The web logins' authorize pages and OAuth APIs:
 * fakeOAuth.ts.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeOAuth } from "./fakeOAuth.js";

/**
 * One scripted answer: a WeChat errcode, an HTTP status, a hang, a broken body, or a
 * code2Session success with a given openid and session_key.
 */
export type FakeAnswer =
  | { errcode: number }
  | { status: number }
  | { openid: string; session_key: string; unionid?: string }
  | "timeout"
  | "html"
  | "badjson";

export interface FakeWechatOptions {
  appid: string;
  secret: string;
  /** More mini-programs this WeChat knows, as for a team with several (one person: an openid per app, one unionid). */
  moreApps?: { appid: string; secret: string }[];
  /** Dev mode: any appid is an app, with `secret`. Default false. */
  anyAppid?: boolean;
  /** Dev mode: a code may be used any number of times. Default false (WeChat's behaviour). */
  reusableCodes?: boolean;
  /** Give a unionid with each login, as for an appid bound to an Open Platform account. Default true. */
  unionid?: boolean;
  /** Milliseconds stable_token takes to answer (makes concurrent refreshes overlap). Default 0. */
  tokenDelayMs?: number;
  /** Milliseconds getuserphonenumber and checksession take. Default 0. */
  apiDelayMs?: number;
  /** Milliseconds code2Session takes. Default 0. */
  loginDelayMs?: number;
}

const ERRMSG: Record<number, string> = {
  [-1]: "system error",
  40029: "invalid code",
  40163: "code been used",
  40226: "high risk user",
  45011: "api minute-quota reach limit mustslower retry next minute",
  40013: "invalid appid",
  40001: "invalid credential, access_token is invalid or not latest",
  87009: "invalid signature",
  40125: "invalid appsecret",
  41008: "missing code",
};

/** A running fake: its base URL, what it was asked, and knobs for tests. */
export class FakeWechat {
  private server: Server | undefined;
  private readonly used = new Set<string>();
  private readonly scripts = new Map<string, FakeAnswer[]>();
  private gate: { waiting: (() => void)[]; count: number } | undefined;
  /** The newest session_key per openid, as WeChat keeps one per user. */
  readonly sessionKeys = new Map<string, string>();
  /** Every call received, by path (e.g. `/sns/jscode2session`). */
  readonly calls = new Map<string, number>();
  baseUrl = "";
  /** The access_token WeChat currently honours, per appid. */
  private readonly accessTokens = new Map<string, string>();
  private readonly usedPhoneCodes = new Set<string>();

  /** Official Account pages and website QR login (fakeOAuth.ts); `oauth.behaviour` steers it. */
  readonly oauth = new FakeOAuth({
    secretOf: (appid) => this.secretOf(appid),
    openidFor: (code, appid) => this.openidFor(code, appid),
    unionidFor: (code) => this.unionidFor(code),
    replyErr,
    reply: (res, status, body) => reply(res, status, body, body.startsWith("<") ? "text/html" : "text/plain"),
  });

  constructor(private readonly opts: FakeWechatOptions) {}

  /** The openid this fake gives for a code (or for a bare user name) in an app (default: the first). */
  openidFor(code: string, appid = this.opts.appid): string {
    return `o${digest(`${appid}:${userOf(code)}`).slice(0, 27)}`;
  }

  unionidFor(code: string): string {
    return `u${digest(`union:${userOf(code)}`).slice(0, 27)}`;
  }

  /** Makes the next answers for `code` the given ones, in order, before normal service. */
  script(code: string, ...answers: FakeAnswer[]): void {
    this.scripts.set(code, answers);
  }

  /**
   * Holds the next `count` code2Session calls until all of them have arrived, then answers
   * them together: makes concurrent logins truly concurrent past this point, for race tests.
   */
  holdTogether(count: number): void {
    this.gate = { waiting: [], count };
  }

  /** Makes an app's current access_token invalid (as another party's force_refresh would). */
  invalidateAccessToken(appid = this.opts.appid): void {
    this.accessTokens.delete(appid);
  }

  /** The access_token WeChat honours now for an app ("" for none). */
  currentAccessToken(appid = this.opts.appid): string {
    return this.accessTokens.get(appid) ?? "";
  }

  /** The secret of a known app, or undefined for an appid this WeChat does not know (40013). */
  private secretOf(appid: string): string | undefined {
    if (appid === this.opts.appid) return this.opts.secret;
    const more = this.opts.moreApps?.find((a) => a.appid === appid);
    if (more) return more.secret;
    return this.opts.anyAppid && /^wx[0-9A-Za-z]{16}$/.test(appid) ? this.opts.secret : undefined;
  }

  callCount(path: string): number {
    return this.calls.get(path) ?? 0;
  }

  /** Listens on 127.0.0.1 (port 0: any free one) and sets baseUrl. */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => reply(res, 500, "internal error"));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    this.calls.set(url.pathname, (this.calls.get(url.pathname) ?? 0) + 1);
    if (url.pathname === "/sns/jscode2session" && req.method === "GET") {
      await this.passGate();
      if (this.opts.loginDelayMs) await new Promise((r) => setTimeout(r, this.opts.loginDelayMs));
      return this.code2Session(url, res);
    }
    if (url.pathname === "/cgi-bin/stable_token" && req.method === "POST") return this.stableToken(await readJson(req), res);
    if (req.method === "GET" && this.oauth.handle(url, res)) return;
    if (this.opts.apiDelayMs && url.pathname.startsWith("/wxa/")) await new Promise((r) => setTimeout(r, this.opts.apiDelayMs));
    if (url.pathname === "/wxa/checksession" && req.method === "GET") return this.checkSession(url, res);
    if (url.pathname === "/cgi-bin/soter/verify_signature" && req.method === "POST") return this.soter(url, await readJson(req), res);
    if (url.pathname === "/wxa/business/getuserphonenumber" && req.method === "POST")
      return this.phoneNumber(url, await readJson(req), res);
    reply(res, 404, "<html><body>404 Not Found</body></html>", "text/html");
  }

  /** getStableAccessToken: the same token while it is valid (normal mode), a new one after. */
  private async stableToken(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    if (this.opts.tokenDelayMs) await new Promise((r) => setTimeout(r, this.opts.tokenDelayMs));
    const appid = typeof body.appid === "string" ? body.appid : "";
    const secret = this.secretOf(appid);
    if (secret === undefined) return replyErr(res, 40013);
    if (body.secret !== secret) return replyErr(res, 40125);
    if (body.grant_type !== "client_credential") return replyErr(res, 40002);
    let token = this.accessTokens.get(appid);
    if (!token || body.force_refresh === true) {
      token = `AT_${randomBytes(24).toString("base64url")}`;
      this.accessTokens.set(appid, token);
    }
    reply(res, 200, JSON.stringify({ access_token: token, expires_in: 7200 }));
  }

  /** The app whose current access_token the request carries, or undefined (40001). */
  private tokenApp(url: URL): string | undefined {
    const given = url.searchParams.get("access_token");
    for (const [appid, token] of this.accessTokens) if (given === token) return appid;
    return undefined;
  }

  /** checkSessionKey: signature = hex(hmac_sha256(key = session_key text, message = "")). */
  /**
   * SOTER's verify_signature: is_ok when json_signature is fakeSoterSignature(json_string) (the
   * stand-in for the device key's RSA signature WeChat checks).
   */
  private soter(url: URL, body: Record<string, unknown>, res: ServerResponse): void {
    if (this.tokenApp(url) === undefined) return replyErr(res, 40001);
    const { json_string: text, json_signature: signature, openid } = body;
    if (typeof text !== "string" || typeof signature !== "string" || typeof openid !== "string") return replyErr(res, 47001);
    reply(res, 200, JSON.stringify({ errcode: 0, errmsg: "ok", is_ok: signature === fakeSoterSignature(text) }));
  }

  private checkSession(url: URL, res: ServerResponse): void {
    if (this.tokenApp(url) === undefined) return replyErr(res, 40001);
    const sessionKey = this.sessionKeys.get(url.searchParams.get("openid") ?? "");
    const expected = sessionKey && createHmac("sha256", Buffer.from(sessionKey, "utf8")).update("").digest("hex");
    if (url.searchParams.get("sig_method") !== "hmac_sha256" || !expected || url.searchParams.get("signature") !== expected) {
      return replyErr(res, 87009);
    }
    reply(res, 200, JSON.stringify({ errcode: 0, errmsg: "ok" }));
  }

  /** getuserphonenumber: a code `phone-<digits>` is valid once and gives +86<digits>. */
  private phoneNumber(url: URL, body: Record<string, unknown>, res: ServerResponse): void {
    const appid = this.tokenApp(url);
    if (appid === undefined) return replyErr(res, 40001);
    const code = typeof body.code === "string" ? body.code : "";
    if (code === "phone-down") return reply(res, 503, "<html>503 Service Unavailable</html>", "text/html");
    const m = /^phone-(\d{5,15})(?:#.*)?$/.exec(code);
    if (!m || this.usedPhoneCodes.has(code)) return replyErr(res, 40029);
    this.usedPhoneCodes.add(code);
    const pure = m[1] as string;
    const phone_info = {
      phoneNumber: `+86${pure}`,
      purePhoneNumber: pure,
      countryCode: "86",
      watermark: { timestamp: Math.floor(Date.now() / 1000), appid },
    };
    reply(res, 200, JSON.stringify({ errcode: 0, errmsg: "ok", phone_info }));
  }

  private async passGate(): Promise<void> {
    const gate = this.gate;
    if (!gate) return;
    await new Promise<void>((resolve) => {
      gate.waiting.push(resolve);
      if (gate.waiting.length >= gate.count) {
        this.gate = undefined;
        for (const release of gate.waiting) release();
      }
    });
  }

  private code2Session(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const appid = q.get("appid") ?? "";
    const secret = this.secretOf(appid);
    if (secret === undefined) return replyErr(res, 40013);
    if (q.get("secret") !== secret) return replyErr(res, 40125);
    const code = q.get("js_code") ?? "";
    if (!code) return replyErr(res, 41008);
    const scripted = this.scripts.get(code)?.shift();
    if (scripted !== undefined) return answer(res, scripted);
    const forced = /^fake-errcode-(-?\d+)$/.exec(code);
    if (forced) return replyErr(res, Number(forced[1]));
    if (!this.opts.reusableCodes) {
      if (this.used.has(code)) return replyErr(res, 40163);
      this.used.add(code);
    }
    const openid = this.openidFor(code, appid);
    const sessionKey = randomBytes(16).toString("base64");
    this.sessionKeys.set(openid, sessionKey);
    const body: Record<string, string> = { openid, session_key: sessionKey };
    if (this.opts.unionid !== false) body.unionid = this.unionidFor(code);
    reply(res, 200, JSON.stringify(body));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function userOf(code: string): string {
  const hash = code.indexOf("#");
  return hash === -1 ? code : code.slice(0, hash);
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url").replace(/[-_]/g, "x");
}

function answer(res: ServerResponse, a: FakeAnswer): void {
  if (a === "timeout") return; // never answers; the caller's timeout must fire
  if (a === "html") return reply(res, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
  if (a === "badjson") return reply(res, 200, '{"openid": "o123", "session_k');
  if ("status" in a) return reply(res, a.status, `{"errcode":-1,"errmsg":"http ${a.status}"}`);
  if ("openid" in a) return reply(res, 200, JSON.stringify(a));
  replyErr(res, a.errcode);
}

function replyErr(res: ServerResponse, errcode: number): void {
  reply(res, 200, JSON.stringify({ errcode, errmsg: ERRMSG[errcode] ?? "error" }));
}

/** WeChat serves JSON as text/plain; clients must parse the text whatever the header says. */
function reply(res: ServerResponse, status: number, body: string, type = "text/plain"): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** What the fake's SOTER accepts as the device's signature of a resultJSON (tests sign with it). */
export function fakeSoterSignature(jsonString: string): string {
  return createHash("sha256").update(`fake soter device key\0${jsonString}`).digest("base64");
}
