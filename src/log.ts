/**
 * The logger. Redaction is by path for structured fields, and by construction elsewhere: code
 * never puts a token, session_key, app secret or access_token into a message string.
 */
import { type DestinationStream, type Logger, pino } from "pino";

/** Paths censored wherever they appear in a log object (two levels deep). */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "session_key",
  "*.session_key",
  "sessionKey",
  "*.sessionKey",
  "secret",
  "*.secret",
  "access_token",
  "*.access_token",
  "accessToken",
  "*.accessToken",
  "encryptedData",
  "*.encryptedData",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.cookie",
  '*.headers["x-wx-token"]',
];

/**
 * Creates the process logger (JSON lines on stdout).
 * @param level - pino level name
 * @param extraSecretHeaders - lower-cased header names to censor too (the TOKEN_HEADER)
 * @param destination - where lines go (default stdout); tests capture them to check redaction
 */
export function createLogger(level: string, extraSecretHeaders: string[] = [], destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "tongxing" },
    redact: { paths: [...REDACT_PATHS, ...extraSecretHeaders.map((h) => `*.headers["${h}"]`)], censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
