/**
 * WeChat open-data cryptography with the user's session_key.
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html
 * (开放数据校验与解密): encryptedData is AES-128-CBC with PKCS#7 padding, key =
 * base64-decode(session_key), iv = base64-decode(iv); the plaintext is JSON carrying
 * `watermark: {appid, timestamp}`. rawData signatures are sha1(rawData + session_key), hex.
 * checkSession signs with hmac_sha256 keyed by the session_key *string* (its base64 text as
 * UTF-8 bytes), over an empty message; keying with the decoded bytes is a classic bug
 * (PowerWeChat #609, WxJava #4123).
 */
import { createDecipheriv, createHash, createHmac, timingSafeEqual } from "node:crypto";

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why decryption failed: the input's shape, or the cipher/JSON (wrong key, tampered data). */
export type DecryptFailure = "input" | "cipher";

/** Thrown by decryptData. */
export class DecryptError extends Error {
  constructor(readonly reason: DecryptFailure) {
    super(`decryption failed (${reason})`);
  }
}

/** Strict base64 (as WeChat sends it): no whitespace, length a multiple of 4. */
function base64(text: string): Buffer | null {
  if (text.length % 4 !== 0 || !BASE64_RE.test(text)) return null;
  return Buffer.from(text, "base64");
}

/**
 * Decrypts encryptedData.
 * @param sessionKey - base64 text as WeChat gave it (16 bytes decoded)
 * @returns the decrypted JSON object (watermark not checked here)
 * @throws DecryptError "input" for bad base64 or wrong key/iv/ciphertext lengths; "cipher" for
 *   a bad padding or a plaintext that is not a JSON object (wrong key, tampered iv or data)
 */
export function decryptData(sessionKey: string, encryptedData: string, iv: string): Record<string, unknown> {
  const key = base64(sessionKey);
  const ivBytes = base64(iv);
  const data = base64(encryptedData);
  if (key?.length !== 16 || ivBytes?.length !== 16 || !data || data.length === 0 || data.length % 16 !== 0) {
    throw new DecryptError("input");
  }
  let plain: string;
  try {
    const decipher = createDecipheriv("aes-128-cbc", key, ivBytes);
    plain = Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptError("cipher");
  }
  try {
    const parsed = JSON.parse(plain) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {}
  throw new DecryptError("cipher");
}

/** Constant-time equality of two hex strings (false for different lengths). */
function hexEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), "utf8");
  const y = Buffer.from(b.toLowerCase(), "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verifies a wx.getUserInfo rawData signature: sha1(rawData + session_key), hex, compared in
 * constant time.
 */
export function verifyRawDataSignature(rawData: string, sessionKey: string, signature: string): boolean {
  const expected = createHash("sha1")
    .update(rawData + sessionKey, "utf8")
    .digest("hex");
  return hexEqual(expected, signature);
}

/**
 * The signature checkSession and resetUserSessionKey want: hex(hmac_sha256(key = the
 * session_key string as UTF-8, message = "")).
 */
export function sessionKeySignature(sessionKey: string): string {
  return createHmac("sha256", Buffer.from(sessionKey, "utf8")).update("").digest("hex");
}
