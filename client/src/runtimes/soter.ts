/**
 * WeChat SOTER (fingerprint, face) for `stepUp`: which mode to prompt for, and the prompt, with
 * WeChat's outcomes turned into the client's errors. WeChat's alone: tongxing has WeChat verify
 * the device's signature, so only the `wx` runtime has it (native.ts).
 * - wx.checkIsSupportSoterAuthentication (`supportMode`; `fail` on a device with none),
 *   wx.checkIsSoterEnrolledInDevice (`isEnrolled`), wx.startSoterAuthentication:
 *   https://developers.weixin.qq.com/miniprogram/dev/api/open-api/soter/wx.startSoterAuthentication.html
 * - its errCodes: 90001 no SOTER on the device, 90002 WeChat not allowed to use it, 90003 mode not
 *   supported, 90004 challenge missing or over 512 characters, 90005 authContent over 42
 *   characters, 90007 internal error, 90008 the user cancelled, 90009 not recognised, 90010 locked
 *   after too many tries, 90011 nothing enrolled for the mode.
 */
import { TongxingError } from "../errors.js";
import type { SoterAuthMode, SoterAuthResult, WxLike } from "../wx.js";
import { failMessage } from "./runtime.js";

/** A device's SOTER, adapted. */
export interface Soter {
  /**
   * The first of `wanted` that the device supports and has a fingerprint or face enrolled for.
   * @throws TongxingError SOTER_UNSUPPORTED (none of them supported), SOTER_NOT_ENROLLED
   */
  chooseMode(wanted: readonly SoterAuthMode[]): Promise<SoterAuthMode>;
  /**
   * Prompts for `mode` over `challenge` (no timer: the person takes the time they take).
   * @returns resultJSON (its `raw` is the challenge) and the device's resultJSONSignature
   * @throws TongxingError SOTER_CANCELLED, SOTER_UNSUPPORTED, SOTER_NOT_ENROLLED, SOTER_FAILED
   */
  authenticate(opts: {
    mode: SoterAuthMode;
    challenge: string;
    authContent?: string;
  }): Promise<{ resultJSON: string; resultJSONSignature: string }>;
}

/** The client's code for a startSoterAuthentication errCode; the rest are SOTER_FAILED. */
const ERR_CODES: Record<number, string> = {
  90001: "SOTER_UNSUPPORTED",
  90003: "SOTER_UNSUPPORTED",
  90008: "SOTER_CANCELLED",
  90011: "SOTER_NOT_ENROLLED",
};

/** startSoterAuthentication's failure, with WeChat's message and errCode in the message. */
function soterError(err: Partial<SoterAuthResult> | undefined): TongxingError {
  const errCode = typeof err?.errCode === "number" ? err.errCode : undefined;
  const message = failMessage(err, "wx.startSoterAuthentication failed");
  // WeChat's other prompts report a cancel as ":fail cancel" with no errCode: read the same way.
  const cancelled = errCode === undefined && /:fail cancel/.test(message);
  const code = cancelled ? "SOTER_CANCELLED" : (errCode !== undefined && ERR_CODES[errCode]) || "SOTER_FAILED";
  return new TongxingError(code, 0, errCode === undefined ? message : `${message} (errCode ${errCode})`);
}

/** WeChat's SOTER on `wx`, or undefined when its base library has none (before 1.5.0). */
export function wechatSoter(wx: WxLike): Soter | undefined {
  if (!wx.checkIsSupportSoterAuthentication || !wx.checkIsSoterEnrolledInDevice || !wx.startSoterAuthentication) return undefined;

  const supportedModes = () =>
    new Promise<string[]>((resolve) =>
      wx.checkIsSupportSoterAuthentication?.({
        success: (res) => resolve(Array.isArray(res?.supportMode) ? res.supportMode : []),
        fail: () => resolve([]),
      }),
    );
  const isEnrolled = (mode: SoterAuthMode) =>
    new Promise<boolean>((resolve) =>
      wx.checkIsSoterEnrolledInDevice?.({
        checkAuthMode: mode,
        success: (res) => resolve(res?.isEnrolled === true),
        fail: () => resolve(false),
      }),
    );

  return {
    async chooseMode(wanted) {
      const supported = await supportedModes();
      const candidates = wanted.filter((mode) => supported.includes(mode));
      if (!candidates.length)
        throw new TongxingError(
          "SOTER_UNSUPPORTED",
          0,
          `This device has no ${wanted.join(" or ")} SOTER (it has ${supported.join(", ") || "none"}).`,
        );
      // One at a time, in the caller's order of preference.
      for (const mode of candidates) if (await isEnrolled(mode)) return mode;
      throw new TongxingError("SOTER_NOT_ENROLLED", 0, `No ${candidates.join(" or ")} is enrolled on this device.`);
    },
    authenticate: ({ mode, challenge, authContent }) =>
      new Promise((resolve, reject) =>
        wx.startSoterAuthentication?.({
          requestAuthModes: [mode],
          challenge,
          ...(authContent !== undefined && { authContent }),
          success: (res) =>
            res?.resultJSON && res.resultJSONSignature && !res.errCode
              ? resolve({ resultJSON: res.resultJSON, resultJSONSignature: res.resultJSONSignature })
              : reject(soterError(res)),
          fail: (err) => reject(soterError(err)),
        }),
      ),
  };
}
