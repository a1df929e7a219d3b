import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
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

test("a keyring seals with its first key and opens with any listed key", () => {
  const [keyA, keyB] = [randomBytes(32), randomBytes(32)];
  const underA = new SessionKeyVault([keyA]).seal(42, "sidA", sessionKey);
  const rotated = new SessionKeyVault([keyB, keyA]);
  assert.equal(rotated.open(42, "sidA", underA), sessionKey, "an old key still opens what it sealed");
  const underB = rotated.seal(42, "sidA", sessionKey);
  assert.ok(underB.length <= 64, `${underB.length} characters`);
  assert.equal(new SessionKeyVault([keyB]).open(42, "sidA", underB), sessionKey, "new values are sealed with the first key");
  assert.equal(new SessionKeyVault([keyA]).open(42, "sidA", underB), null);
  assert.equal(new SessionKeyVault([keyB]).open(42, "sidA", underA), null, "a dropped key's values no longer open");
  assert.throws(() => new SessionKeyVault([]), /at least one key/);
});

test("values sealed before key ids (base64url(iv ‖ tag ‖ ciphertext)) open with any listed key", () => {
  const [keyA, keyB] = [randomBytes(32), randomBytes(32)];
  // The format of earlier versions, still in Redis after an upgrade: no key id in front.
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyA, iv);
  cipher.setAAD(Buffer.from("tongxing:sk:42:sidA"));
  const ct = Buffer.concat([cipher.update(Buffer.concat([Buffer.of(0), Buffer.from(sessionKey, "base64")])), cipher.final()]);
  const legacy = Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url");
  assert.equal(new SessionKeyVault([keyB, keyA]).open(42, "sidA", legacy), sessionKey);
  assert.equal(new SessionKeyVault([keyB]).open(42, "sidA", legacy), null);
});
