/**
 * session_key at rest. WeChat's session_key decrypts the user's encryptedData and signs
 * checkSession calls, so it is a credential: it never leaves the server, and in Redis it is
 * sealed with AES-256-GCM under SESSION_KEY_ENCRYPTION_KEY (OWASP ASVS V6.2: authenticated
 * encryption, a fresh 96-bit IV per message). The user id is bound as additional data, so a
 * sealed value copied to another user's key fails to open.
 *
 * Stored value: `<sid>:<base64url(iv ‖ tag ‖ ciphertext)>`, where sid names the session whose
 * login delivered this session_key. WeChat honours only the newest session_key per user, so a
 * session whose sid differs knows its own key has been replaced (SESSION_KEY_STALE).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** An opened session_key entry. */
export interface SessionKeyEntry {
  /** The session whose login delivered this session_key. */
  sid: string;
  /** base64 text exactly as WeChat gave it. */
  sessionKey: string;
}

/** Seals and opens session_keys with one 32-byte key. */
export class SessionKeyVault {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("SESSION_KEY_ENCRYPTION_KEY must be 32 bytes");
  }

  /** Seals the session_key delivered by the login that created session `sid`. */
  seal(userId: number, sid: string, sessionKey: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(`tongxing:sk:${userId}`));
    const ct = Buffer.concat([cipher.update(sessionKey, "utf8"), cipher.final()]);
    return `${sid}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url")}`;
  }

  /**
   * Opens a stored entry.
   * @returns null when it is malformed or fails authentication (wrong key, tampered, other user)
   */
  open(userId: number, stored: string): SessionKeyEntry | null {
    const colon = stored.indexOf(":");
    if (colon < 1) return null;
    const blob = Buffer.from(stored.slice(colon + 1), "base64url");
    if (blob.length < 29) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, blob.subarray(0, 12));
      decipher.setAAD(Buffer.from(`tongxing:sk:${userId}`));
      decipher.setAuthTag(blob.subarray(12, 28));
      const sessionKey = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]).toString("utf8");
      return { sid: stored.slice(0, colon), sessionKey };
    } catch {
      return null;
    }
  }
}
