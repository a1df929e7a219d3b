/**
 * The one error type the client rejects with. Its own module so that the runtime adapters can
 * throw it without importing the client.
 */

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
 * `UNEXPECTED_RESPONSE` carries the HTTP status of a non-2xx answer without tongxing's error body.
 */
export class TongxingError extends Error {
  constructor(
    /** The server's error code, or one of the client's codes listed above. */
    readonly code: string,
    /** HTTP status, 0 when there was no HTTP answer. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "TongxingError";
  }
}
