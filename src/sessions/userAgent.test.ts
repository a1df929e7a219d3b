import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeUserAgent, encodeUserAgent, USER_AGENT_MAX_LENGTH } from "./userAgent.js";

const IOS =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.53(0x18003531) NetType/4G Language/zh_CN";
const ANDROID =
  "Mozilla/5.0 (Linux; Android 13; V2196A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230303 MMWEBID/2468 MicroMessenger/8.0.34.2340(0x2800225B) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 MiniProgramEnv/android";

test("any User-Agent comes back exactly (cut at 512 characters), in pieces of at most 64", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 600, unit: "binary" }), (ua) => {
      const { ref, pieces } = encodeUserAgent(ua);
      assert.match(ref, /^[A-Za-z0-9_-]{6}$/);
      for (const p of pieces) assert.ok(p.length > 0 && p.length <= 64);
      assert.equal(decodeUserAgent(pieces.join("")), ua.slice(0, USER_AGENT_MAX_LENGTH));
    }),
    { numRuns: 500 },
  );
});

test("WeChat's own User-Agents shrink to a fraction", () => {
  const ios = encodeUserAgent(IOS);
  assert.equal(ios.pieces.length, 1, `${ios.pieces.join("").length} characters`);
  assert.ok(ios.pieces.join("").length < IOS.length / 3);
  const android = encodeUserAgent(ANDROID);
  assert.ok(android.pieces.join("").length < ANDROID.length / 2, `${android.pieces.join("").length} characters`);
  assert.equal(decodeUserAgent(android.pieces.join("")), ANDROID);
});

test("the same User-Agent gets the same ref, another one another", () => {
  assert.equal(encodeUserAgent(IOS).ref, encodeUserAgent(IOS).ref);
  assert.notEqual(encodeUserAgent(IOS).ref, encodeUserAgent(ANDROID).ref);
});

test("missing or corrupt pieces decode to an empty string, not an exception", () => {
  assert.equal(decodeUserAgent(""), "");
  assert.equal(decodeUserAgent("!!not-deflate!!"), "");
});
