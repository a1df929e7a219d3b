import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { SessionKeyVault } from "./sessionKeyVault.js";

const vault = new SessionKeyVault(randomBytes(32));
const sessionKey = "tiihtNczf5v6AKRyjwEUhQ==";

test("seals and opens exactly the text WeChat gave, within Redis's 64-byte listpack limit", () => {
  const sealed = vault.seal(42, "sidA", sessionKey);
  assert.ok(!sealed.includes(sessionKey));
  assert.ok(sealed.length <= 64, `${sealed.length} characters`);
  assert.equal(vault.open(42, "sidA", sealed), sessionKey);
  assert.notEqual(vault.seal(42, "sidA", sessionKey), sealed, "a fresh IV each time");
  for (const odd of ["k", "not base64!", "tiihtNczf5v6AKRyjwEUhQ", "dGlpaHQ=", "é"]) {
    assert.equal(vault.open(42, "sidA", vault.seal(42, "sidA", odd)), odd, odd);
  }
});

test("refuses another user's value, another sid's, a tampered value and another key", () => {
  const sealed = vault.seal(42, "sidA", sessionKey);
  assert.equal(vault.open(43, "sidA", sealed), null);
  assert.equal(vault.open(42, "sidB", sealed), null);
  const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
  assert.equal(vault.open(42, "sidA", flipped), null);
  assert.equal(new SessionKeyVault(randomBytes(32)).open(42, "sidA", sealed), null);
  assert.equal(vault.open(42, "sidA", "garbage"), null);
});
