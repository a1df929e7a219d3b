import assert from "node:assert/strict";
import { test } from "node:test";
import { AppError, tokenInvalid } from "./errors.js";

test("an AppError carries no stack trace, and other errors keep theirs", () => {
  const before = Error.stackTraceLimit;
  Error.stackTraceLimit = 17;
  try {
    const err = tokenInvalid();
    assert.ok(err instanceof AppError && err instanceof Error);
    assert.equal(err.stack?.includes("\n    at "), false, err.stack);
    assert.equal(err.message, "The session token is unknown, expired or revoked; log in again.");
    assert.equal(Error.stackTraceLimit, 17, "the limit is restored");
    assert.match(new Error("x").stack ?? "", /\n {4}at /);
  } finally {
    Error.stackTraceLimit = before;
  }
});
