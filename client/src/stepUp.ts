/**
 * stepUp: the person proves they hold the phone before a sensitive change (a withdrawal, a
 * payment setting), for a business API behind the library's requireStepUp, which answers 403
 * STEP_UP_REQUIRED until then. Both of tongxing's methods (POST /auth/step-up):
 * - soter: a mode the device has (runtimes/soter.ts), POST /auth/step-up/challenge (single use,
 *   2 minutes), the fingerprint or face prompt signing that challenge, then the signed result;
 * - phone: a getPhoneNumber button's code, whose number tongxing compares with the bound one.
 * The local checks come first, so that a device without SOTER costs no challenge and no request.
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/bio-auth.html
 */
import { TongxingError } from "./errors.js";
import type { Runtime } from "./runtimes/runtime.js";
import type { RequestOptions, SteppedUp, StepUpOptions } from "./types.js";
import type { SoterAuthMode } from "./wx.js";

/** Fingerprint first: the mode SOTER had first and that most phones have; face where it has none enrolled. */
const DEFAULT_MODES: readonly SoterAuthMode[] = ["fingerPrint", "facial"];

/**
 * Runs a step-up through the client's `request` (token header, login when needed).
 * @throws TongxingError as TongxingClient.stepUp says
 */
export async function stepUp(runtime: Runtime, request: <T>(opts: RequestOptions) => Promise<T>, opts: StepUpOptions): Promise<SteppedUp> {
  const exchange = async (data: Record<string, unknown>): Promise<SteppedUp> => {
    const { elevatedUntil } = await request<SteppedUp>({ url: "/auth/step-up", method: "POST", data });
    return { elevatedUntil };
  };
  // Any method but "soter" is sent as is: tongxing answers an unknown one 400 INVALID_REQUEST.
  if (opts.method !== "soter") return exchange({ method: opts.method, code: opts.code });

  const soter = runtime.soter;
  if (!soter) {
    const why =
      runtime.name === "wx" ? "this WeChat base library has no wx.startSoterAuthentication" : `this client runs on ${runtime.name}`;
    throw new TongxingError("SOTER_UNSUPPORTED", 0, `SOTER is WeChat's, and ${why}; use the phone method.`);
  }
  const mode = await soter.chooseMode(opts.requestAuthModes?.length ? opts.requestAuthModes : DEFAULT_MODES);
  const { challenge } = await request<{ challenge: string }>({ url: "/auth/step-up/challenge", method: "POST" });
  const signed = await soter.authenticate({ mode, challenge, ...(opts.authContent !== undefined && { authContent: opts.authContent }) });
  return exchange({ method: "soter", ...signed });
}
