/**
 * session_key at rest. WeChat's session_key decrypts the user's encryptedData and signs
 * checkSession calls, so it is a credential: it never leaves the server, and in Redis it is
 * sealed with AES-256-GCM under SESSION_KEY_ENCRYPTION_KEY (OWASP ASVS V6.2: authenticated
 * encryption, a fresh 96-bit IV per message). The user id and the sid of the login that
 * delivered it are bound as additional data, so a sealed value copied to another user, or
 * paired with another session's sid, fails to open.
 *
 * Sealed value: base64url(iv ‖ tag ‖ ciphertext). WeChat's session_key is the base64 text of
 * 16 bytes (https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html),
 * so the plaintext is those 16 bytes behind a 0x00 marker (60 characters sealed, under Redis's
 * 64-byte listpack limit); any other text is sealed as UTF-8 behind a 0x01 marker, so what
 * opens is always exactly the text WeChat gave.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto";

const RAW = 0x00;
const TEXT = 0x01;

/** Seals and opens session_keys with one 32-byte key. */
export class SessionKeyVault {
  // A KeyObject, made once: on Node 24 createCipheriv with a Buffer key costs ~25 µs more per
  // call (its key-type checks) than with a KeyObject.
  private readonly key: KeyObject;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("SESSION_KEY_ENCRYPTION_KEY must be 32 bytes");
    this.key = createSecretKey(key);
  }

  /** Seals the session_key delivered by the login that created session `sid`. */
  seal(userId: number, sid: string, sessionKey: string): string {
    const raw = Buffer.from(sessionKey, "base64");
    const plain =
      raw.length === 16 && raw.toString("base64") === sessionKey
        ? Buffer.concat([Buffer.of(RAW), raw])
        : Buffer.concat([Buffer.of(TEXT), Buffer.from(sessionKey, "utf8")]);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(aad(userId, sid));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url");
  }

  /**
   * Opens a sealed session_key.
   * @param sid - the sid stored beside it (the login that delivered it)
   * @returns null when it is malformed or fails authentication (wrong key, tampered, other user or sid)
   */
  open(userId: number, sid: string, sealed: string): string | null {
    const blob = Buffer.from(sealed, "base64url");
    if (blob.length < 29) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, blob.subarray(0, 12));
      decipher.setAAD(aad(userId, sid));
      decipher.setAuthTag(blob.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
      if (plain[0] === RAW && plain.length === 17) return plain.subarray(1).toString("base64");
      if (plain[0] === TEXT) return plain.subarray(1).toString("utf8");
      return null;
    } catch {
      return null;
    }
  }
}

function aad(userId: number, sid: string): Buffer {
  return Buffer.from(`tongxing:sk:${userId}:${sid}`);
}
