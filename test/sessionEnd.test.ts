/**
 * Why a session ended: every refusal keeps TOKEN_INVALID and says why (`reason`), on the next
 * request, on another instance, with the process-local cache on (the first instance) and off
 * (the second); /auth/verify as X-Tongxing-Reason, the library as check()'s answer.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Running } from "../src/server.js";
import { createSessionVerifier, type SessionVerifier } from "../verifier/src/index.js";
import { REDIS_URL, type Stack, startStack } from "./support.js";

const ADMIN = { authorization: `Bearer ${"a".repeat(40)}` };
let stack: Stack;
let other: Running;
let verifier: SessionVerifier;

before(async () => {
  stack = await startStack({ ADMIN_TOKEN: "a".repeat(40), SESSIONS_PER_USER_MAX: "2" });
  other = await stack.startSibling({ SESSION_CACHE: "off" });
  verifier = createSessionVerifier({ redis: REDIS_URL, keyPrefix: stack.prefix });
});
after(async () => {
  await verifier?.close();
  await stack?.stop();
});

/** GET /auth/session on both instances (each answer primed first on the first, so its cache holds the session). */
async function refusals(token: string) {
  const answers = [];
  for (const url of [stack.url, other.url]) {
    const res = await fetch(`${url}/auth/session`, { headers: { "x-wx-token": token } });
    answers.push({ status: res.status, body: (await res.json()) as { error: Record<string, string> } });
  }
  return answers;
}

async function expectEnded(token: string, reason: string, extra: Record<string, string> = {}) {
  for (const { status, body } of await refusals(token)) {
    assert.equal(status, 401);
    assert.deepEqual(
      { code: body.error.code, reason: body.error.reason, ...pick(body.error, Object.keys(extra)) },
      { code: "TOKEN_INVALID", reason, ...extra },
    );
  }
  const verify = await stack.request("GET", "/auth/verify", { token });
  assert.equal(verify.headers.get("x-tongxing-error"), "TOKEN_INVALID");
  assert.equal(verify.headers.get("x-tongxing-reason"), reason);
  assert.equal(((await verifier.check(token)) as { reason?: string }).reason, reason, "the library says the same");
}

const pick = (o: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k] as string]));

/** Logs in and primes the first instance's cache with the session. */
async function session(user: string) {
  const res = await stack.login(user);
  assert.equal(res.status, 200, res.text);
  assert.equal((await stack.request("GET", "/auth/session", { token: res.body.token })).status, 200);
  return res.body as { token: string; user: { id: number } };
}

describe("each reason, on the next request, on both instances and in the library", () => {
  test("UNKNOWN: never issued", async () => {
    await expectEnded(`1.${"A".repeat(32)}`, "UNKNOWN");
  });

  test("LOGGED_OUT: this token's logout", async () => {
    const { token } = await session("end-logout");
    assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
    await expectEnded(token, "LOGGED_OUT");
  });

  test("REVOKED: by the user from another session, and by an operator", async () => {
    const a = await session("end-revoke");
    const b = await stack.login("end-revoke");
    const sessionId = (await stack.request("GET", "/auth/session", { token: a.token })).body.sessionId;
    assert.equal((await stack.request("DELETE", `/auth/sessions/${sessionId}`, { token: b.body.token })).status, 204);
    await expectEnded(a.token, "REVOKED");
    const c = await session("end-admin");
    const id = (await stack.request("GET", "/auth/session", { token: c.token })).body.sessionId;
    assert.equal((await stack.request("DELETE", `/admin/sessions/${id}`, { headers: ADMIN })).status, 204);
    await expectEnded(c.token, "REVOKED");
  });

  test("REPLACED: pushed out by a newer login past SESSIONS_PER_USER_MAX", async () => {
    const first = await session("end-replaced");
    await stack.login("end-replaced");
    await stack.login("end-replaced");
    await expectEnded(first.token, "REPLACED");
  });

  test("BANNED: with banReason; bannedUntil only for a ban with an end", async () => {
    const { token, user } = await session("end-banned");
    const ban = await stack.request("POST", `/admin/users/${user.id}/ban`, { headers: ADMIN, body: { reason: "刷单 (order fraud)" } });
    assert.equal(ban.status, 200, ban.text);
    const [first] = await refusals(token);
    assert.equal(first?.body.error.bannedUntil, undefined, "a ban without an end names no date");
    await expectEnded(token, "BANNED", { banReason: "刷单 (order fraud)" });
  });

  test("DELETED: the account was deleted", async () => {
    const { token } = await session("end-deleted");
    assert.equal((await stack.request("DELETE", "/me", { token })).status, 204);
    await expectEnded(token, "DELETED");
  });

  test("an end is kept in a few bytes, and no longer than the session could have lived", async () => {
    const { token, user } = await session("end-bytes");
    assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
    const fields = await stack.redis.hgetall(`${stack.prefix}{u${user.id}}`);
    const ends = Object.entries(fields).filter(([f]) => f.startsWith("~"));
    assert.equal(ends.length, 1);
    const [field, value] = ends[0] as [string, string];
    assert.ok(field.length + value.length <= 64, `${field}=${value}`);
    const keepUntil = Number.parseInt(value.split(",")[1] as string, 36);
    assert.ok(keepUntil > Date.now() && keepUntil <= Date.now() + 604_800_000);
  });
});

test("EXPIRED: the idle timeout passed (while the user's hash still holds the record; UNKNOWN once nothing is left)", async () => {
  const short = await startStack({ SESSION_IDLE_TTL: "2" });
  try {
    const { token } = (await short.login("end-expired")).body;
    await new Promise((r) => setTimeout(r, 1200));
    // A second session keeps the user's hash (and so the expired record) alive past the first's expiry.
    const second = (await short.login("end-expired")).body.token;
    await new Promise((r) => setTimeout(r, 1000));
    const res = await short.request("GET", "/auth/session", { token });
    assert.deepEqual([res.status, res.body.error.code, res.body.error.reason], [401, "TOKEN_INVALID", "EXPIRED"]);
    assert.equal((await short.request("GET", "/auth/session", { token: second })).status, 200);
  } finally {
    await short.stop();
  }
});

test("the nginx template words each reason as tongxing does", async () => {
  const { readFile } = await import("node:fs/promises");
  const { tokenInvalid } = await import("../verifier/src/refusals.js");
  const { END_REASONS } = await import("../verifier/src/sessionEnd.js");
  const template = await readFile(new URL("../examples/nginx/tongxing.conf.template", import.meta.url), "utf8");
  for (const reason of END_REASONS) {
    const line = new RegExp(`^\\s*${reason === "UNKNOWN" ? "default" : reason}\\s+'(.*)';$`, "m").exec(template);
    assert.ok(line, `${reason} is mapped`);
    const fields = JSON.parse(`{${line[1]}}`) as { reason: string; message: string };
    assert.deepEqual(fields, { reason, message: tokenInvalid({ reason }).message });
  }
});
