/**
 * TRUSTED_PROXIES: X-Forwarded-For is believed only as far as it was written by a listed proxy,
 * walking from the socket's address towards the client (Express's `trust proxy` with subnets).
 * A caller that reaches tongxing directly, not through its gateway, cannot choose its rate-limit
 * bucket or the IP in the audit trail.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { codeFor, type Stack, startStack } from "./support.js";

let direct: Stack;
let behindProxies: Stack;
let legacy: Stack;
before(async () => {
  [direct, behindProxies, legacy] = await Promise.all([
    // This suite's requests come from 127.0.0.1, which is not in 10.0.0.0/8: a direct caller.
    startStack({ TRUSTED_PROXIES: "10.0.0.0/8", LOGIN_RATE_LIMIT: "3" }),
    startStack({ TRUSTED_PROXIES: "loopback, 10.0.0.0/8,2001:db8::/32" }),
    startStack({ TRUST_PROXY: "true" }),
  ]);
});
after(async () => {
  await Promise.all([direct.stop(), behindProxies.stop(), legacy.stop()]);
});

/** The IP tongxing recorded for a login sent with this X-Forwarded-For (its session's, and the audit trail's). */
async function recordedIp(stack: Stack, xff: string): Promise<string> {
  const res = await stack.request("POST", "/auth/login", { body: { code: codeFor("xff") }, headers: { "x-forwarded-for": xff } });
  assert.equal(res.status, 200, res.text);
  const sessions = await stack.request("GET", "/auth/sessions", { token: res.body.token });
  await stack.running.deps.audit.flush();
  const events = await stack.running.deps.prisma.auditEvent.findMany({ where: { userId: res.body.user.id, action: "login" } });
  assert.equal(events.at(-1)?.ip, sessions.body.sessions[0].ip, "the audit trail records the same IP");
  return sessions.body.sessions[0].ip;
}

describe("TRUSTED_PROXIES", () => {
  test("a caller that is no listed proxy: its X-Forwarded-For is ignored, for the audit trail and the rate limit", async () => {
    assert.equal(await recordedIp(direct, "198.51.100.1"), "127.0.0.1");
    const attempt = (xff: string) =>
      direct.request("POST", "/auth/login", { body: { code: codeFor("direct") }, headers: { "x-forwarded-for": xff } });
    // One attempt went above; two more fill the caller's own bucket, whatever it claims to be.
    assert.equal((await attempt("198.51.100.2")).status, 200);
    assert.equal((await attempt("198.51.100.3")).status, 200);
    const fourth = await attempt("198.51.100.4");
    assert.equal(fourth.status, 429, "a forged X-Forwarded-For does not buy another bucket");
    assert.equal(fourth.body.error.code, "RATE_LIMITED");
  });

  test("through listed proxies: the nearest address no listed proxy holds is the client", async () => {
    assert.equal(await recordedIp(behindProxies, "198.51.100.9"), "198.51.100.9");
    assert.equal(await recordedIp(behindProxies, "198.51.100.9, 10.1.2.3"), "198.51.100.9", "two hops, both listed");
    assert.equal(
      await recordedIp(behindProxies, "192.0.2.66, 203.0.113.5, 10.1.2.3"),
      "203.0.113.5",
      "what 203.0.113.5 (no listed proxy) claims is its own to forge",
    );
    assert.equal(await recordedIp(behindProxies, "2001:db8:1::7, 198.51.100.10"), "198.51.100.10");
    assert.equal(await recordedIp(behindProxies, "198.51.100.11, 2001:db8:1::7"), "198.51.100.11", "an IPv6 range");
    assert.equal(await recordedIp(behindProxies, "not-an-ip, 10.1.2.3"), "10.1.2.3", "an entry that is no IP ends the walk");
  });

  test("TRUST_PROXY=true still works for one release: the nearest hop is believed, with a warning at start", async () => {
    assert.equal(await recordedIp(legacy, "192.0.2.1, 198.51.100.12"), "198.51.100.12");
    assert.ok(
      legacy.logs.some((line) => /"level":40/.test(line) && /TRUST_PROXY/.test(line) && /TRUSTED_PROXIES/.test(line)),
      "a warning names TRUST_PROXY and its replacement",
    );
    assert.ok(!direct.logs.some((line) => /TRUST_PROXY=/.test(line)), "no warning without it");
  });
});
