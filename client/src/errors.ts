/**
 * The one error type the client rejects with. Its own module so that the runtime adapters can
 * throw it without importing the client.
 */
import type { SessionEnd, SessionEndReason } from "./sessionEnd.js";

/**
 * A failure: the server's `error.code` and message (e.g. `TOKEN_INVALID`, `LOGIN_CODE_INVALID`,
 * `APP_UNKNOWN`), or one of the client's own codes, all with `status` 0:
 * - `NETWORK_ERROR`: the runtime's request function failed without an HTTP answer;
 * - `TIMEOUT`: no answer within the client's `timeout` (milliseconds);
 * - `WX_LOGIN_FAILED`: `wx.login` failed or gave no code;
 * - `LOGIN_FAILED`: another runtime's login call (`tt.login`, `my.getAuthCode`, `qq.login`,
 *   `swan.getLoginCode`, `ks.login`, `uni.login`, `Taro.login`) failed or gave no code;
 * - `NO_RUNTIME`: `createClient` found no mini-program runtime;
 * - `NO_BROWSER`: the web entry (`tongxing-miniprogram/web`) was used outside a browser page;
 * - a web login's `#tongxing_error=CODE` (web.ts, finishWebLogin), e.g. `ACCESS_DENIED`;
 * - `stepUp({ method: "soter" })` (runtimes/soter.ts): `SOTER_UNSUPPORTED` (not WeChat, a base
 *   library without SOTER, or none of the modes on this device) and `SOTER_NOT_ENROLLED`
 *   (supported, nothing enrolled), both found before any request; `SOTER_CANCELLED` (the person
 *   closed the prompt); `SOTER_FAILED` (any other wx.startSoterAuthentication failure: not
 *   recognised, locked after too many tries, ...; WeChat's errCode in the message);
 * `UNEXPECTED_RESPONSE` carries the HTTP status of a non-2xx answer without tongxing's error body.
 * A 401 `TOKEN_INVALID` also carries why the session is not live (`reason`, and for a ban
 * `bannedUntil` and `banReason`) when tongxing says so; an older tongxing does not.
 */
export class TongxingError extends Error {
  // Declared, not initialised: an error that has none of these has no such keys at all.
  /** TOKEN_INVALID: why the session is not live (sessionEnd.ts); unset when the server did not say. */
  declare readonly reason?: SessionEndReason;
  /** TOKEN_INVALID with reason BANNED: when the ban ends, ISO 8601 as the server sent it. */
  declare readonly bannedUntil?: string;
  /** TOKEN_INVALID with reason BANNED: the operator's reason, when one was given. */
  declare readonly banReason?: string;

  constructor(
    /** The server's error code, or one of the client's codes listed above. */
    readonly code: string,
    /** HTTP status, 0 when there was no HTTP answer. */
    readonly status: number,
    message: string,
    /** TOKEN_INVALID: the answer's `reason`, `bannedUntil`, `banReason`. */
    end?: Partial<SessionEnd>,
  ) {
    super(message);
    this.name = "TongxingError";
    if (end?.reason !== undefined) this.reason = end.reason;
    if (end?.bannedUntil !== undefined) this.bannedUntil = end.bannedUntil;
    if (end?.banReason !== undefined) this.banReason = end.banReason;
  }
}
