import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { test } from "node:test";
import { WECHAT_SAMPLE, wechatEncrypt } from "../../test/fixtures/wechatData.js";
import { type DecryptError, decryptData, sessionKeySignature, verifyRawDataSignature } from "./dataCrypto.js";

test("decrypts WeChat's published sample", () => {
  const data = decryptData(WECHAT_SAMPLE.sessionKey, WECHAT_SAMPLE.encryptedData, WECHAT_SAMPLE.iv);
  assert.equal(data.openId, WECHAT_SAMPLE.openId);
  assert.equal(data.nickName, "Band");
  assert.deepEqual(data.watermark, { timestamp: 1477314187, appid: WECHAT_SAMPLE.appid });
});

test("round-trips data it encrypted itself, emoji included", () => {
  const key = randomBytes(16).toString("base64");
  const payload = { phoneNumber: "+8613800138000", nick: "猫🐱", watermark: { appid: "wx1", timestamp: 1 } };
  const { encryptedData, iv } = wechatEncrypt(key, payload);
  assert.deepEqual(decryptData(key, encryptedData, iv), payload);
});

test("bad input and tampering fail with the right reason", () => {
  const key = randomBytes(16).toString("base64");
  const { encryptedData, iv } = wechatEncrypt(key, { a: 1, watermark: {} });
  const reason = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as DecryptError).reason;
    }
    return "none";
  };
  assert.equal(
    reason(() => decryptData(key, "not base64!", iv)),
    "input",
  );
  assert.equal(
    reason(() => decryptData(key, encryptedData, "AAAA")),
    "input",
  );
  assert.equal(
    reason(() => decryptData(key, encryptedData.slice(0, -4), iv)),
    "input",
  );
  assert.equal(
    reason(() => decryptData(randomBytes(16).toString("base64"), encryptedData, iv)),
    "cipher",
  );
  const badIv = Buffer.from(iv, "base64");
  badIv[0] = (badIv[0] as number) ^ 1;
  // A flipped iv bit flips the same plaintext bit: the JSON's first byte stops being "{".
  assert.equal(
    reason(() => decryptData(key, encryptedData, badIv.toString("base64"))),
    "cipher",
  );
});

test("rawData signature is sha1(rawData + session_key), any case, constant-time", () => {
  const key = "HyVFkGl5F5OQWJZZaNzBBg==";
  const rawData = '{"nickName":"Band","gender":1}';
  const signature = createHash("sha1")
    .update(rawData + key)
    .digest("hex");
  assert.equal(verifyRawDataSignature(rawData, key, signature), true);
  assert.equal(verifyRawDataSignature(rawData, key, signature.toUpperCase()), true);
  assert.equal(verifyRawDataSignature(`${rawData} `, key, signature), false);
  assert.equal(verifyRawDataSignature(rawData, key, signature.slice(0, 39)), false);
});

test("checkSession signature is keyed by the session_key's text, not its decoded bytes", () => {
  const key = "tiihtNczf5v6AKRyjwEUhQ==";
  assert.equal(sessionKeySignature(key), createHmac("sha256", key).update("").digest("hex"));
  assert.notEqual(sessionKeySignature(key), createHmac("sha256", Buffer.from(key, "base64")).update("").digest("hex"));
});
