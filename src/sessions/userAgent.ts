/**
 * The User-Agent of a login, stored compactly. A mini-program's User-Agent is 150-330 bytes
 * (WeChat appends its version, network type and language to the system WebView's string),
 * which alone would be half of a session's Redis budget. Two things make it small:
 *
 * - it is stored once per user and distinct User-Agent, not once per session (keys.ts): a
 *   user's sessions mostly come from the same phone;
 * - it is DEFLATE-compressed (node:zlib, raw deflate) with a preset dictionary of the
 *   substrings every WeChat User-Agent repeats (RFC 1951; the dictionary is zlib's
 *   `dictionary` option), so a 171-byte iOS WeChat User-Agent becomes 30 bytes.
 *
 * The compressed bytes are base64url text cut into pieces of at most 64 characters, because
 * Redis keeps a hash in its compact listpack encoding only while every value is at most
 * `hash-max-listpack-value` (64 by default) bytes
 * (https://redis.io/docs/latest/operate/oss_and_stack/management/optimization/memory-optimization/).
 * Lossless: decoding gives back the exact string.
 */
import { hash } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";

/** The longest User-Agent kept, in characters (longer ones are cut); Android WeChat sends ~320. */
export const USER_AGENT_MAX_LENGTH = 512;

/** Largest piece stored in one hash field (Redis's default hash-max-listpack-value). */
const PIECE = 64;

// zlib finds matches in the dictionary, preferring the end, so the most common parts go last.
// Sources: WeChat's own User-Agents on Android (XWEB/MMWEBSDK), iOS, Windows and macOS.
const DICTIONARY = Buffer.from(
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/",
    " Safari/537.36 NetType/WIFI MiniProgramEnv/Windows WindowsWechat/WMPF WindowsWechat(0x6309",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) MacWechat/3.8.",
    "Mozilla/5.0 (Linux; Android 14; Build/UP1A.; wv) AppleWebKit/537.36 (KHTML, like Gecko) ",
    "Version/4.0 Chrome/ Mobile Safari/537.36 XWEB/ MMWEBSDK/2024 MMWEBID/ ",
    "MicroMessenger/8.0.(0x28003) WeChat/arm64 Weixin NetType/5G NetType/4G NetType/WIFI ",
    "Language/zh_CN ABI/arm64 MiniProgramEnv/android",
    "Mozilla/5.0 (iPad; CPU OS 17_ like Mac OS X) ",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_ like Mac OS X) ",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_",
    " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.",
    "(0x1800) NetType/4G Language/en NetType/WIFI Language/zh_CN",
  ].join(""),
  "latin1",
);

/** A User-Agent ready to store: a short reference and the pieces of its compressed form. */
export interface EncodedUserAgent {
  /** 6 characters: base64url of the first bytes of its SHA-256. Names the hash fields. */
  ref: string;
  /** base64url text, each piece at most 64 characters; at most 33 pieces (512 characters of up to 3 UTF-8 bytes). */
  pieces: string[];
}

/** Compresses a User-Agent (cut to USER_AGENT_MAX_LENGTH characters) for storage. */
export function encodeUserAgent(userAgent: string): EncodedUserAgent {
  const ua = userAgent.slice(0, USER_AGENT_MAX_LENGTH);
  const ref = hash("sha256", ua, "base64url").slice(0, 6);
  const text = deflateRawSync(ua, { dictionary: DICTIONARY, level: 9 }).toString("base64url");
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += PIECE) pieces.push(text.slice(i, i + PIECE));
  return { ref, pieces };
}

/**
 * Restores a User-Agent from its pieces joined in order (store.ts's LIST script joins them).
 * @returns "" when nothing is stored or it is corrupt (the session itself is unaffected)
 */
export function decodeUserAgent(text: string): string {
  if (!text) return "";
  try {
    return inflateRawSync(Buffer.from(text, "base64url"), { dictionary: DICTIONARY }).toString("utf8");
  } catch {
    return "";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A header value as the client meant it. Node hands header bytes over as Latin-1 (one character
 * per byte), so a UTF-8 User-Agent such as `微信/8.0` arrives as `å¾®ä¿¡/8.0`; when the bytes are
 * valid UTF-8, that is what they were. Anything else stays as it came.
 */
export function headerText(value: string): string {
  if (!/[\x80-\xff]/.test(value) || /[^\x00-\xff]/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, "latin1"));
  } catch {
    return value;
  }
}
