/**
 * session_key at rest. WeChat's session_key decrypts the user's encryptedData and signs
 * checkSession calls, so it is a credential: it never leaves the server, and in Redis it is
 * sealed with AES-256-GCM under SESSION_KEY_ENCRYPTION_KEY (OWASP ASVS V6.2: authenticated
 * encryption, a fresh 96-bit IV per message). The user id and the sid of the login that
 * delivered it are bound as additional data, so a sealed value copied to another user, or
 * paired with another session's sid, fails to open.
 *
 * Sealed value: kid "." base64url(iv ‖ tag ‖ ciphertext). WeChat's session_key is the base64
 * text of 16 bytes (https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html),
 * so the plaintext is those 16 bytes behind a 0x00 marker (63 characters sealed, under Redis's
 * 64-byte listpack limit); any other text is sealed as UTF-8 behind a 0x01 marker, so what
 * opens is always exactly the text WeChat gave.
 *
 * Key rotation: SESSION_KEY_ENCRYPTION_KEY is a keyring, newest first. The first key seals; any
 * listed key opens. kid (2 characters of a hash of the key, not secret: 12 bits of a SHA-256 of
 * 256 random bits) names the sealing key, so opening tries that key, not the whole ring; it is
 * only a hint, since GCM's tag decides. Values from before key ids ("." is not base64url) are
 * tried with every key. A login seals the user's new session_key with the newest key, so once
 * every session has logged in again or expired (SESSION_IDLE_TTL) the old key can be dropped.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, type KeyObject, randomBytes } from "node:crypto";

const RAW = 0x00;
const TEXT = 0x01;

interface RingKey {
  kid: string;
  // A KeyObject, made once: on Node 24 createCipheriv with a Buffer key costs ~25 µs more per
  // call (its key-type checks) than with a KeyObject.
  key: KeyObject;
}

/** Seals session_keys with the newest 32-byte key of a keyring and opens them with any. */
export class SessionKeyVault {
  private readonly ring: RingKey[];

  /**
   * @param keys - one 32-byte key, or the keyring newest first (SESSION_KEY_ENCRYPTION_KEY)
   * @throws Error when the ring is empty or a key is not 32 bytes
   */
  constructor(keys: Buffer | readonly Buffer[]) {
    const list = Buffer.isBuffer(keys) ? [keys] : keys;
    if (list.length === 0) throw new Error("SESSION_KEY_ENCRYPTION_KEY must list at least one key");
    this.ring = list.map((key) => {
      if (key.length !== 32) throw new Error("SESSION_KEY_ENCRYPTION_KEY must be 32 bytes");
      return { kid: kidOf(key), key: createSecretKey(key) };
    });
  }

  /** Seals the session_key delivered by the login that created session `sid`. */
  seal(userId: number, sid: string, sessionKey: string): string {
    const raw = Buffer.from(sessionKey, "base64");
    const plain =
      raw.length === 16 && raw.toString("base64") === sessionKey
        ? Buffer.concat([Buffer.of(RAW), raw])
        : Buffer.concat([Buffer.of(TEXT), Buffer.from(sessionKey, "utf8")]);
    const { kid, key } = this.ring[0] as RingKey;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(aad(userId, sid));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return `${kid}.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url")}`;
  }

  /**
   * Opens a sealed session_key.
   * @param sid - the sid stored beside it (the login that delivered it)
   * @returns null when it is malformed or fails authentication (sealed under a key no longer
   *   listed, tampered, other user or sid)
   */
  open(userId: number, sid: string, sealed: string): string | null {
    const dot = sealed.indexOf(".");
    const kid = dot === -1 ? null : sealed.slice(0, dot);
    const blob = Buffer.from(dot === -1 ? sealed : sealed.slice(dot + 1), "base64url");
    if (blob.length < 29) return null;
    for (const { key } of this.ring.filter((k) => kid === null || k.kid === kid)) {
      const opened = openWith(key, aad(userId, sid), blob);
      if (opened !== null) return opened;
    }
    return null;
  }
}

/** AES-256-GCM open of iv ‖ tag ‖ ciphertext; null when the tag or the marker is wrong. */
function openWith(key: KeyObject, additionalData: Buffer, blob: Buffer): string | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, blob.subarray(0, 12));
    decipher.setAAD(additionalData);
    decipher.setAuthTag(blob.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
    if (plain[0] === RAW && plain.length === 17) return plain.subarray(1).toString("base64");
    if (plain[0] === TEXT) return plain.subarray(1).toString("utf8");
    return null;
  } catch {
    return null;
  }
}

/** The key id: 2 base64url characters of SHA-256("tongxing:kid:" ‖ key). */
function kidOf(key: Buffer): string {
  return createHash("sha256").update("tongxing:kid:").update(key).digest("base64url").slice(0, 2);
}

function aad(userId: number, sid: string): Buffer {
  return Buffer.from(`tongxing:sk:${userId}:${sid}`);
}
