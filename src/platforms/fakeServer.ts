/**
 * One fake server for the code exchanges of Douyin, Alipay, QQ, Baidu and Kuaishou, written from
 * their docs (each exchange's file cites its pages), for dev mode and tests. src/wechat/fakeServer.ts
 * is WeChat's.
 *
 * Endpoints: Douyin `POST /api/apps/v2/jscode2session` (JSON), QQ `GET /sns/jscode2session`,
 * Baidu `POST /oauth/jscode2sessionkey` (form), Kuaishou `POST /oauth2/mp/code2session` (form or
 * JSON), Alipay `POST /alipay/gateway.do` (form; query parameters too, as Alipay's SDKs send
 * some). `apiBase(platform)` gives what an exchange takes as its apiBase.
 *
 * Who is who: the part of a code before `#` names the person, so `alice` and `alice#2` are two
 * codes of one person. The openid is deterministic per (platform, appid, person), so it differs
 * between apps; the unionid per (platform, person), shared by a platform's apps only: Douyin and
 * QQ give `unionid`, Alipay's `user_id` is per person (its `open_id` per app), Baidu and Kuaishou
 * give none. Codes are single-use per platform: a second use gets that platform's bad-code
 * error, unless `reusableCodes` (dev mode).
 *
 * Alipay: the request's RSA2 signature is verified with the app's public key (a wrong one gets
 * `isv.invalid-signature`, a timestamp not in Beijing time within 15 minutes `isv.invalid-timestamp`,
 * the window being this fake's choice) and every answer of a known app is signed with
 * `alipayPrivateKey` over the response object's exact text, which escapes non-ASCII as \uXXXX so
 * that a client that re-serialises the object fails to verify.
 */
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { alipaySigningString, alipayTimestamp, rsa2Sign, rsa2Verify } from "./alipay.js";
import type { OtherPlatform } from "./exchanges.js";

/** An RSA key pair as PEM text: PKCS#8 private key, SPKI public key. */
export interface RsaKeyPair {
  privateKey: string;
  publicKey: string;
}

/** A 2048-bit RSA key pair, as Alipay's RSA2 uses (for tests and dev mode). */
export function generateRsaKeyPair(): RsaKeyPair {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

/** An app a fake platform knows. Alipay's ids: which of open_id/user_id it answers (default both). */
export type FakeApp =
  | { platform: Exclude<OtherPlatform, "alipay">; appid: string; secret: string }
  | { platform: "alipay"; appid: string; appPublicKey: string; alipayPrivateKey: string; ids?: "open_id" | "user_id" | "both" };

/**
 * A scripted answer: an HTTP status, a hang ("timeout"), a truncated body ("badjson"), a normal
 * answer whose Alipay signature is wrong ("badSignature"), or the platform's own error value
 * (Douyin err_no, QQ errcode, Alipay sub_code, Baidu error, Kuaishou result).
 */
export type FakePlatformAnswer = { status: number } | { error: number | string } | "timeout" | "badjson" | "badSignature";

export interface FakePlatformsOptions {
  apps?: FakeApp[];
  /** Dev mode: any appid is an app of the endpoint's platform, with any secret (Alipay: any signature). */
  anyAppid?: boolean;
  /** Dev mode: a code may be used any number of times. */
  reusableCodes?: boolean;
  /** The key Alipay signs with for apps known only through anyAppid. Default: generated. */
  alipayKeys?: RsaKeyPair;
}

/** A running fake. */
export interface FakePlatforms {
  /** The apiBase an exchange of `platform` should be given. */
  apiBase(platform: OtherPlatform): string;
  /** Makes the next answers for `code` on `platform` these, in order, before normal service. */
  script(platform: OtherPlatform, code: string, ...answers: FakePlatformAnswer[]): void;
  /** How many requests carried `code` to `platform`'s endpoint. */
  calls(platform: OtherPlatform, code: string): number;
  openidFor(platform: OtherPlatform, appid: string, code: string): string;
  /** Douyin/QQ unionid, Alipay user_id; null for Baidu and Kuaishou. */
  unionidFor(platform: OtherPlatform, code: string): string | null;
  /** Alipay's public key for apps known only through anyAppid (made on first read unless given). */
  readonly alipayPublicKey: string;
  close(): Promise<void>;
}

type Params = Record<string, string>;
/** What a login gives; Alipay's unionid is the user_id, and an app gets open_id, user_id or both. */
type Ids = { openid: string; unionid: string | null; sessionKey: string; alipayIds: "open_id" | "user_id" | "both" };

/**
 * Each platform's endpoint; the names of its appid, secret (Alipay: the request's sign) and code
 * fields; its error values for a bad appid, a bad secret, a bad or used code, a missing field;
 * its answers. From the docs cited in each exchange's file.
 */
const SPECS = {
  douyin: {
    route: "POST /api/apps/v2/jscode2session",
    fields: ["appid", "secret", "code"],
    errors: { badAppid: 40015, badSecret: 40017, badCode: 40018, missing: 40014 },
    type: "application/json",
    error: (v: number | string) => ({ err_no: v, err_tips: say(v), log_id: logId() }),
    success: (i: Ids) => ({
      err_no: 0,
      err_tips: "success",
      log_id: logId(),
      data: { session_key: i.sessionKey, openid: i.openid, anonymous_openid: "", unionid: i.unionid },
    }),
  },
  qq: {
    route: "GET /sns/jscode2session",
    fields: ["appid", "secret", "js_code"],
    errors: { badAppid: 40013, badSecret: 40125, badCode: 40029, missing: 41008 },
    type: "text/plain",
    error: (v: number | string) => ({ errcode: v, errmsg: say(v) }),
    success: (i: Ids) => ({ openid: i.openid, session_key: i.sessionKey, unionid: i.unionid }),
  },
  baidu: {
    route: "POST /oauth/jscode2sessionkey",
    fields: ["client_id", "sk", "code"],
    errors: { badAppid: "invalid_client", badSecret: "invalid_client", badCode: "invalid_grant", missing: "invalid_request" },
    type: "application/json",
    error: (v: number | string) => ({ error: v, error_description: say(v) }),
    success: (i: Ids) => ({ openid: i.openid, session_key: i.sessionKey }),
  },
  kuaishou: {
    route: "POST /oauth2/mp/code2session",
    fields: ["app_id", "app_secret", "js_code"],
    errors: { badAppid: 100200101, badSecret: 100200101, badCode: 100200100, missing: 100200100 },
    type: "application/json",
    error: (v: number | string) => ({ result: v, error_msg: say(v) }),
    success: (i: Ids) => ({ result: 1, session_key: i.sessionKey, open_id: i.openid }),
  },
  alipay: {
    route: "POST /alipay/gateway.do",
    fields: ["app_id", "sign", "code"],
    errors: {
      badAppid: "isv.invalid-app-id",
      badSecret: "isv.invalid-signature",
      badCode: "isv.code-invalid",
      missing: "isv.missing-signature",
    },
    type: "text/html;charset=utf-8",
    error: (v: number | string) => ({ error_response: alipayError(String(v)) }),
    success: (i: Ids) => ({
      alipay_system_oauth_token_response: {
        access_token: `authusrB${logId()}`,
        expires_in: 1296000,
        refresh_token: `authusrB${logId()}`,
        re_expires_in: 2592000,
        auth_start: alipayTimestamp(new Date()),
        ...(i.alipayIds !== "open_id" && { user_id: i.unionid }),
        ...(i.alipayIds !== "user_id" && { open_id: i.openid }),
      },
    }),
  },
} satisfies Record<OtherPlatform, unknown>;

/** Alipay's gateway code for a sub_code (common error codes page): 40001 missing, 20000 busy, 40002 otherwise. */
function alipayError(subCode: string): Record<string, string> {
  if (subCode.startsWith("isv.missing-"))
    return { code: "40001", msg: "Missing Required Arguments", sub_code: subCode, sub_msg: say(subCode) };
  if (/^(isp|aop)\./.test(subCode))
    return { code: "20000", msg: "Service Currently Unavailable", sub_code: subCode, sub_msg: say(subCode) };
  return { code: "40002", msg: "Invalid Arguments", sub_code: subCode, sub_msg: say(subCode) };
}

/** The message each platform sends with an error value (its doc's wording where it gives one). */
const MESSAGES: Record<string, string> = {
  "-1": "system error",
  40013: "invalid appid",
  40014: "bad params",
  40015: "bad appid",
  40017: "bad secret",
  40018: "bad code",
  40029: "invalid code",
  40125: "invalid appsecret",
  41008: "missing code",
  100200100: "参数有误",
  100200101: "验证出错",
  invalid_client: "unknown client id",
  invalid_grant: "Invalid authorization code",
  invalid_request: "parameter is invalid",
  "isv.code-invalid": "授权码code无效",
  "isv.invalid-signature": "验签出错",
  "isv.invalid-app-id": "无效的AppID参数",
  "isv.missing-signature": "缺少签名参数",
  "isp.unknow-error": "服务暂不可用",
};
const say = (value: number | string) => MESSAGES[String(value)] ?? "error";

/** A 16-digit Alipay user_id starting 2088, as Alipay's are, derived from the person. */
function alipayUserId(person: string): string {
  const n = BigInt(`0x${createHash("sha256").update(`alipay:${person}`).digest("hex")}`) % 10n ** 12n;
  return `2088${n.toString().padStart(12, "0")}`;
}

const logId = () => randomBytes(12).toString("hex").toUpperCase();
const digest = (text: string) => createHash("sha256").update(text).digest("base64url").replace(/[-_]/g, "x");
const personOf = (code: string) => code.split("#")[0] as string;

/**
 * Starts the fake on 127.0.0.1 (port 0: any free one).
 * @returns its base URLs per platform, script/calls knobs, the ids it gives, and close()
 */
export async function startFakePlatforms(options: FakePlatformsOptions = {}): Promise<FakePlatforms> {
  const fake = new Fake(options);
  const server: Server = createServer(
    (req, res) => void fake.handle(req, res).catch(() => reply(res, 500, "<html>500</html>", "text/html")),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiBase: (platform) => (platform === "alipay" ? `${base}/alipay/gateway.do` : base),
    script: (platform, code, ...answers) => void fake.scripts.set(`${platform}\n${code}`, answers),
    calls: (platform, code) => fake.calls.get(`${platform}\n${code}`) ?? 0,
    openidFor: (platform, appid, code) => fake.openidFor(platform, appid, code),
    unionidFor: (platform, code) => fake.unionidFor(platform, code),
    get alipayPublicKey() {
      return fake.alipayKeys.publicKey;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class Fake {
  readonly scripts = new Map<string, FakePlatformAnswer[]>();
  readonly calls = new Map<string, number>();
  private readonly used = new Set<string>();
  private keys: RsaKeyPair | undefined;

  constructor(private readonly opts: FakePlatformsOptions) {
    this.keys = opts.alipayKeys;
  }

  /** Made on first use: a 2048-bit key takes a while, and most fakes never sign for unknown apps. */
  get alipayKeys(): RsaKeyPair {
    this.keys ??= generateRsaKeyPair();
    return this.keys;
  }

  openidFor(platform: OtherPlatform, appid: string, code: string): string {
    return `o${digest(`${platform}:${appid}:${personOf(code)}`).slice(0, 27)}`;
  }

  unionidFor(platform: OtherPlatform, code: string): string | null {
    if (platform === "alipay") return alipayUserId(personOf(code));
    return platform === "douyin" || platform === "qq" ? `u${digest(`${platform}:union:${personOf(code)}`).slice(0, 27)}` : null;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const entry = Object.entries(SPECS).find(([, s]) => s.route === `${req.method} ${url.pathname}`);
    if (!entry) return reply(res, 404, "<html><body>404 Not Found</body></html>", "text/html");
    const platform = entry[0] as OtherPlatform;
    const spec = SPECS[platform];
    const params: Params = { ...Object.fromEntries(url.searchParams), ...(await readParams(req)) };
    const [appid = "", secret = "", code = ""] = spec.fields.map((f) => params[f] ?? "");
    const key = `${platform}\n${code}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const app = this.opts.apps?.find((a) => a.platform === platform && a.appid === appid);
    const anyApp = !app && this.opts.anyAppid && appid !== "";
    const signKey = app?.platform === "alipay" ? app.alipayPrivateKey : anyApp ? this.alipayKeys.privateKey : undefined;
    const send = (body: object, badSign = false) => this.send(res, platform, body, signKey, badSign);
    const fail = (value: number | string) => send(spec.error(value));
    if (!appid || (!app && !this.opts.anyAppid)) return fail(spec.errors.badAppid);
    if (!secret) return fail(spec.errors.missing);
    if (app && "secret" in app && secret !== app.secret) return fail(spec.errors.badSecret);
    if (app && "appPublicKey" in app) {
      const refused = alipayRequestError(params, app.appPublicKey);
      if (refused) return fail(refused);
    }
    if (!code) return fail(spec.errors.missing);
    const scripted = this.scripts.get(key)?.shift();
    if (scripted === "timeout") return; // never answers: the caller's timeout must fire
    if (scripted === "badjson") return reply(res, 200, '{"openid": "o123", "session_k', spec.type);
    if (typeof scripted === "object" && "status" in scripted)
      return reply(res, scripted.status, `<html>${scripted.status}</html>`, "text/html");
    if (typeof scripted === "object") return fail(scripted.error);
    if (!this.opts.reusableCodes) {
      if (this.used.has(key)) return fail(spec.errors.badCode);
      this.used.add(key);
    }
    const alipayIds = app?.platform === "alipay" ? (app.ids ?? "both") : "both";
    return send(spec.success(this.ids(platform, appid, code, alipayIds)), scripted === "badSignature");
  }

  private ids(platform: OtherPlatform, appid: string, code: string, alipayIds: Ids["alipayIds"]): Ids {
    const sessionKey = platform === "baidu" ? randomBytes(16).toString("hex") : randomBytes(16).toString("base64");
    return { openid: this.openidFor(platform, appid, code), unionid: this.unionidFor(platform, code), sessionKey, alipayIds };
  }

  /** Alipay wraps the object in `{"<key>": ..., "sign": ...}`, signed when it knows the app's key. */
  private send(res: ServerResponse, platform: OtherPlatform, body: object, signKey: string | undefined, badSign: boolean): void {
    const type = SPECS[platform].type;
    if (platform !== "alipay") return reply(res, 200, JSON.stringify(body), type);
    const [[key, object]] = Object.entries(body) as [[string, unknown]];
    const text = JSON.stringify(object).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    // A bad signature is a real one over other text, as a tampered answer would carry.
    const sign = signKey ? `,"sign":${JSON.stringify(rsa2Sign(badSign ? `${text} ` : text, signKey))}` : "";
    reply(res, 200, `{"${key}":${text}${sign}}`, type);
  }
}

/** The sub_code Alipay refuses a known app's request with, or undefined when it is well-formed and signed. */
function alipayRequestError(params: Params, appPublicKey: string): string | undefined {
  if (params.method !== "alipay.system.oauth.token") return "isv.invalid-method";
  if (params.sign_type !== "RSA2") return "isv.invalid-signature-type";
  if (!rsa2Verify(alipaySigningString(params), params.sign ?? "", appPublicKey)) return "isv.invalid-signature";
  const ts = params.timestamp ?? "";
  const skew = Date.parse(`${ts.replace(" ", "T")}+08:00`) - Date.now();
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(ts) || !(Math.abs(skew) < 15 * 60_000)) return "isv.invalid-timestamp";
  if (params.grant_type !== "authorization_code") return "isv.grant-type-invalid";
  return undefined;
}

async function readParams(req: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!(req.headers["content-type"] ?? "").includes("json")) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : String(v ?? "")]));
  } catch {
    return {};
  }
}

function reply(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
