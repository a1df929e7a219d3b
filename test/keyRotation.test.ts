/**
 * Rotating SESSION_KEY_ENCRYPTION_KEY, as docs/security.md tells it: restart with "new,old",
 * sessions sealed under the old key keep working and every login seals with the new one; once
 * every such session has logged in again or expired, restart with the new key alone. The key
 * ring is given through SESSION_KEY_ENCRYPTION_KEY_FILE here, as a Kubernetes secret would.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { codeFor, type Stack, startStack } from "./support.js";

const keyA = randomBytes(32).toString("base64");
const keyB = randomBytes(32).toString("base64");
let stack: Stack;
before(async () => {
  stack = await startStack({ SESSION_KEY_ENCRYPTION_KEY: keyA });
});
after(() => stack.stop());

/** Logs in on the server at `url`; returns the token and the session_key WeChat gave. */
async function login(url: string, user: string) {
  const code = codeFor(user);
  const res = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { token: string };
  return { token: body.token, sessionKey: stack.fake.sessionKeys.get(stack.fake.openidFor(code)) as string };
}

/** Asks the server at `url` to check a rawData signature made with the session's session_key. */
async function verifySignature(url: string, s: { token: string; sessionKey: string }) {
  const rawData = JSON.stringify({ nickName: "Rotating" });
  const signature = createHash("sha1")
    .update(rawData + s.sessionKey)
    .digest("hex");
  const res = await fetch(`${url}/wechat/verify-signature`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-wx-token": s.token },
    body: JSON.stringify({ rawData, signature }),
  });
  return { status: res.status, body: (await res.json()) as { valid?: boolean; error?: { code: string } } };
}

/** A restart with `keys` given as a secret file (trailing newline and all). */
function restartWith(keys: string) {
  const path = join(mkdtempSync(join(tmpdir(), "tongxing-keys-")), "session-key-encryption-key");
  writeFileSync(path, `${keys}\n`, { mode: 0o600 });
  return stack.startSibling({ SESSION_KEY_ENCRYPTION_KEY: "", SESSION_KEY_ENCRYPTION_KEY_FILE: path });
}

test("rotate: old sessions keep working under new,old; a login re-seals with the new key; drop the old key", async () => {
  const alice = await login(stack.url, "alice");
  const bobBefore = await login(stack.url, "bob");
  assert.deepEqual((await verifySignature(stack.url, alice)).body, { valid: true });

  const rotating = await restartWith(`${keyB},${keyA}`);
  assert.deepEqual((await verifySignature(rotating.url, alice)).body, { valid: true }, "sealed under A, opened under B,A");
  assert.deepEqual((await verifySignature(rotating.url, bobBefore)).body, { valid: true });
  const bob = await login(rotating.url, "bob");
  assert.deepEqual((await verifySignature(rotating.url, bob)).body, { valid: true });

  // After the idle window every session has logged in again (bob) or expired; alice stands for
  // one that did neither: her A-sealed session_key no longer opens, and a new login mends it.
  const rotated = await restartWith(keyB);
  assert.deepEqual((await verifySignature(rotated.url, bob)).body, { valid: true }, "the login under B,A sealed with B");
  const stale = await verifySignature(rotated.url, alice);
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error?.code, "SESSION_KEY_STALE");
  const aliceAgain = await login(rotated.url, "alice");
  assert.deepEqual((await verifySignature(rotated.url, aliceAgain)).body, { valid: true });
  assert.ok(!stack.logs.join("").includes(keyA) && !stack.logs.join("").includes(keyB), "no key in a log line");
});
