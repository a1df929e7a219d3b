import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { SessionKeyVault } from "./sessionKeyVault.js";

const vault = new SessionKeyVault(randomBytes(32));
const sessionKey = "tiihtNczf5v6AKRyjwEUhQ==";

test("seals and opens, remembering which session's login it came from", () => {
  const sealed = vault.seal(42, "sidA", sessionKey);
  assert.ok(!sealed.includes(sessionKey));
  assert.deepEqual(vault.open(42, sealed), { sid: "sidA", sessionKey });
  assert.notEqual(vault.seal(42, "sidA", sessionKey), sealed, "a fresh IV each time");
});

test("refuses another user's value, a tampered value and another key", () => {
  const sealed = vault.seal(42, "sidA", sessionKey);
  assert.equal(vault.open(43, sealed), null);
  const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
  assert.equal(vault.open(42, flipped), null);
  assert.equal(new SessionKeyVault(randomBytes(32)).open(42, sealed), null);
  assert.equal(vault.open(42, "garbage"), null);
});
