/**
 * The `tongxing` package's library entry, deprecated: the session check is now its own package,
 * @tongxing/verifier (verifier/), which needs only ioredis. Re-exported here for one release so
 * existing imports keep working. The service itself is `npx tongxing` (dist/main.js).
 */
export * from "../verifier/src/index.js";
