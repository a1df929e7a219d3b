import assert from "node:assert/strict";
import { createCipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { test } from "node:test";
import { type DecryptError, decryptData, sessionKeySignature, verifyRawDataSignature } from "./dataCrypto.js";

/** WeChat's published decryption demo (AppID wx4f4bc4dec97d474b). */
export const WECHAT_SAMPLE = {
  appid: "wx4f4bc4dec97d474b",
  sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
  encryptedData:
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==",
  iv: "r7BXXKkLb8qrSNn05n0qiA==",
  openId: "oGZUI0egBJY1zhBYw2KhdUfwVJJE",
};

/** Encrypts as WeChat does, for tests. */
export function wechatEncrypt(sessionKey: string, data: unknown, iv = randomBytes(16)): { encryptedData: string; iv: string } {
  const cipher = createCipheriv("aes-128-cbc", Buffer.from(sessionKey, "base64"), iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
  return { encryptedData: ct.toString("base64"), iv: iv.toString("base64") };
}

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
