/**
 * The web half of the fake WeChat (fakeServer.ts): the authorize pages of Official Account pages
 * and website QR login, answered as WeChat answers once the user agreed, and the token and
 * userinfo APIs behind them. Written from WeChat's docs:
 * https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 * https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
 *
 * - `GET /connect/oauth2/authorize` and `GET /connect/qrconnect` → 302 to
 *   `redirect_uri?code=<code>&state=<state>`: the user whose name is `webPerson` agreed (or, with
 *   `denyNext`, refused: the redirect carries only `state`).
 * - `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code` →
 *   `{access_token, expires_in, refresh_token, openid, scope, unionid, is_snapshotuser?}`; a code
 *   is single-use (40163), an unknown one 40029, a wrong appid 40013, a wrong secret 40125.
 * - `GET /sns/userinfo?access_token&openid&lang` → `{openid, nickname, headimgurl, unionid}` for
 *   an access_token of `snsapi_userinfo` (else 48001, unauthorized scope), 40001 for a bad token.
 * The person's openid and unionid are the mini-program fake's (openidFor, unionidFor), so a
 * person is one unionid across mini-programs and web apps, as on one Open Platform account.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

/** What the OAuth fake needs of the fake WeChat it is part of. */
export interface OAuthHost {
  secretOf(appid: string): string | undefined;
  openidFor(code: string, appid: string): string;
  unionidFor(code: string): string;
  replyErr(res: ServerResponse, errcode: number): void;
  reply(res: ServerResponse, status: number, body: string): void;
}

interface Grant {
  appid: string;
  person: string;
  scope: string;
  snapshot: boolean;
}

/** Settings a test changes between logins. */
export interface OAuthBehaviour {
  /** Who is at the authorize page: the person the next codes are for. Default "web-user". */
  webPerson: string;
  /** Nickname /sns/userinfo gives (default: the person's name). */
  nickname?: string;
  /** The next authorize answers as a snapshot-page visitor (is_snapshotuser 1). */
  snapshotNext: boolean;
  /** The next authorize is refused by the user: the redirect carries no code. */
  denyNext: boolean;
}

export class FakeOAuth {
  readonly behaviour: OAuthBehaviour = { webPerson: "web-user", snapshotNext: false, denyNext: false };
  private readonly grants = new Map<string, Grant>();
  private readonly tokens = new Map<string, Grant>();

  constructor(private readonly host: OAuthHost) {}

  /** Answers an OAuth path. @returns false for a path that is not one of these */
  handle(url: URL, res: ServerResponse): boolean {
    switch (url.pathname) {
      case "/connect/oauth2/authorize":
      case "/connect/qrconnect":
        this.authorize(url, res);
        return true;
      case "/sns/oauth2/access_token":
        this.accessToken(url, res);
        return true;
      case "/sns/userinfo":
        this.userinfo(url, res);
        return true;
      default:
        return false;
    }
  }

  private authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const appid = q.get("appid") ?? "";
    const redirect = q.get("redirect_uri");
    if (this.host.secretOf(appid) === undefined || !redirect || q.get("response_type") !== "code") {
      return this.host.reply(res, 200, "<html><body>参数错误</body></html>");
    }
    const target = new URL(redirect);
    if (this.behaviour.denyNext) {
      this.behaviour.denyNext = false;
    } else {
      const code = `oauth-${randomBytes(12).toString("base64url")}`;
      this.grants.set(code, {
        appid,
        person: this.behaviour.webPerson,
        scope: q.get("scope") ?? "",
        snapshot: this.behaviour.snapshotNext,
      });
      this.behaviour.snapshotNext = false;
      target.searchParams.set("code", code);
    }
    target.searchParams.set("state", q.get("state") ?? "");
    res.writeHead(302, { Location: target.href, "Content-Length": 0 });
    res.end();
  }

  private accessToken(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const appid = q.get("appid") ?? "";
    const secret = this.host.secretOf(appid);
    if (secret === undefined) return this.host.replyErr(res, 40013);
    if (q.get("secret") !== secret) return this.host.replyErr(res, 40125);
    const code = q.get("code") ?? "";
    const grant = this.grants.get(code);
    if (!grant || grant.appid !== appid) return this.host.replyErr(res, code.startsWith("oauth-") ? 40163 : 40029);
    this.grants.delete(code);
    const accessToken = `OAT_${randomBytes(18).toString("base64url")}`;
    this.tokens.set(accessToken, grant);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: 7200,
      refresh_token: `ORT_${randomBytes(18).toString("base64url")}`,
      openid: this.host.openidFor(grant.person, appid),
      scope: grant.scope,
      unionid: this.host.unionidFor(grant.person),
    };
    if (grant.snapshot) body.is_snapshotuser = 1;
    this.host.reply(res, 200, JSON.stringify(body));
  }

  private userinfo(url: URL, res: ServerResponse): void {
    const grant = this.tokens.get(url.searchParams.get("access_token") ?? "");
    if (!grant) return this.host.replyErr(res, 40001);
    if (grant.scope !== "snsapi_userinfo" && grant.scope !== "snsapi_login") return this.host.replyErr(res, 48001);
    const openid = this.host.openidFor(grant.person, grant.appid);
    if (url.searchParams.get("openid") !== openid) return this.host.replyErr(res, 40003);
    this.host.reply(
      res,
      200,
      JSON.stringify({
        openid,
        nickname: this.behaviour.nickname ?? grant.person,
        sex: 0,
        headimgurl: `http://thirdwx.qlogo.cn/mmopen/${grant.person}/132`,
        privilege: [],
        unionid: this.host.unionidFor(grant.person),
      }),
    );
  }
}
