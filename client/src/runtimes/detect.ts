/**
 * Which runtime the client uses: the one passed in `createClient({ runtime })` (or the older
 * `wx` option); else `uni` when present; else the first platform global found, in the order
 * `tt`, `my`, `qq`, `swan`, `ks`, `wx`.
 *
 * Why this order: uni-app's build for a platform has both `uni` and that platform's global, and
 * `uni` is the layer the app's own code goes through. `wx` comes last because it is the name
 * other runtimes are likeliest to carry beside their own (uni-app's and Taro's WeChat builds,
 * hosts that accept WeChat-written code), so a platform's own global is the more specific sign.
 * Taro is imported, never global, so it is only ever passed.
 */
import { TongxingError } from "../errors.js";
import type { WxLike } from "../wx.js";
import { alipayRuntime, type MyLike } from "./alipay.js";
import {
  baiduRuntime,
  douyinRuntime,
  type KsLike,
  kuaishouRuntime,
  type QqLike,
  qqRuntime,
  type SwanLike,
  type TtLike,
  wechatRuntime,
} from "./native.js";
import type { Runtime } from "./runtime.js";
import { type TaroLike, taroRuntime } from "./taro.js";
import { type UniLike, uniRuntime } from "./uni.js";

/**
 * A runtime passed explicitly, named by its key: `{ wx }`, `{ tt }`, `{ my }`, `{ qq }`,
 * `{ swan }`, `{ ks }`, `{ uni, provider? }` (provider: uni.login's, e.g. "weixin"; by default
 * the one uni.getProvider reports), or `{ taro: Taro }`.
 */
export type RuntimeOption =
  | { wx: WxLike }
  | { tt: TtLike }
  | { my: MyLike }
  | { qq: QqLike }
  | { swan: SwanLike }
  | { ks: KsLike }
  | { uni: UniLike; provider?: string }
  | { taro: TaroLike };

// The runtimes' globals, read as free identifiers rather than globalThis properties: a build tool
// that provides `uni` by injecting an import (rather than a true global) is found all the same.
declare const uni: UniLike | undefined;
declare const tt: TtLike | undefined;
declare const my: MyLike | undefined;
declare const qq: QqLike | undefined;
declare const swan: SwanLike | undefined;
declare const ks: KsLike | undefined;
declare const wx: WxLike | undefined;

/** The adapter for an explicitly passed runtime. @throws TongxingError NO_RUNTIME when its object is missing */
function adapt(option: RuntimeOption): Runtime {
  if ("taro" in option && option.taro) return taroRuntime(option.taro);
  if ("uni" in option && option.uni) return uniRuntime(option.uni, option.provider);
  if ("tt" in option && option.tt) return douyinRuntime(option.tt);
  if ("my" in option && option.my) return alipayRuntime(option.my);
  if ("qq" in option && option.qq) return qqRuntime(option.qq);
  if ("swan" in option && option.swan) return baiduRuntime(option.swan);
  if ("ks" in option && option.ks) return kuaishouRuntime(option.ks);
  if ("wx" in option && option.wx) return wechatRuntime(option.wx);
  throw new TongxingError("NO_RUNTIME", 0, `options.runtime (${Object.keys(option).join(", ")}) holds no runtime object.`);
}

/**
 * The runtime to use: `explicit` when given, else the first global found (order above).
 * @throws TongxingError NO_RUNTIME when there is none (outside a mini-program, pass `runtime`)
 */
export function findRuntime(explicit: RuntimeOption | undefined): Runtime {
  if (explicit) return adapt(explicit);
  if (typeof uni !== "undefined" && uni) return uniRuntime(uni);
  if (typeof tt !== "undefined" && tt) return douyinRuntime(tt);
  if (typeof my !== "undefined" && my) return alipayRuntime(my);
  if (typeof qq !== "undefined" && qq) return qqRuntime(qq);
  if (typeof swan !== "undefined" && swan) return baiduRuntime(swan);
  if (typeof ks !== "undefined" && ks) return kuaishouRuntime(ks);
  if (typeof wx !== "undefined" && wx) return wechatRuntime(wx);
  throw new TongxingError(
    "NO_RUNTIME",
    0,
    "No mini-program runtime (uni, tt, my, qq, swan, ks, wx) found: pass options.runtime, e.g. { taro: Taro }.",
  );
}
