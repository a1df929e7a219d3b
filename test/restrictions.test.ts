/**
 * Restrictions (partial bans): the user keeps their sessions; every session check carries the
 * active ones, on the next request, on another instance, with the cache on and off, and in the
 * library, whose requireUnrestricted refuses by name.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Running } from "../src/server.js";
import { createSessionVerifier, requireSession, requireUnrestricted, type SessionVerifier } from "../verifier/src/index.js";
import { startLibraryApi } from "./libraryApi.js";
import { REDIS_URL, type Stack, startStack } from "./support.js";

const ADMIN = { authorization: `Bearer ${"a".repeat(40)}` };
let stack: Stack;
let other: Running;
let verifier: SessionVerifier;
let api: { url: string; close(): void };

before(async () => {
  stack = await startStack({ ADMIN_TOKEN: "a".repeat(40) });
  other = await stack.startSibling({ SESSION_CACHE: "off" });
  verifier = createSessionVerifier({ redis: REDIS_URL, keyPrefix: stack.prefix });
  // A business API: POST /comments is taken away by the "comment" restriction, GET /orders is not.
  const comment = requireUnrestricted("comment");
  api = await startLibraryApi(
    [requireSession(verifier), (ctx, next) => (ctx.path === "/comments" ? comment(ctx, next) : next())],
    (ctx) => ({ ok: true, restrictions: ctx.state.session.restrictions.map((r) => r.name) }),
  );
});
after(async () => {
  api?.close();
  await verifier?.close();
  await stack?.stop();
});

const restrictionsOn = async (url: string, token: string) => {
  const res = await fetch(`${url}/auth/session`, { headers: { "x-wx-token": token } });
  assert.equal(res.status, 200, "the session stays");
  return ((await res.json()) as { restrictions: string[] }).restrictions;
};

test("a restriction counts on the next request everywhere, keeps the session, and lifts", async () => {
  const { token, user } = (await stack.login("rs-ann")).body;
  assert.deepEqual(await restrictionsOn(stack.url, token), [], "primes the cache of the first instance");
  const add = await stack.request("POST", `/admin/users/${user.id}/restrictions`, {
    headers: ADMIN,
    body: { name: "comment", reason: "spam" },
  });
  assert.equal(add.status, 200, add.text);
  assert.deepEqual(
    add.body.restrictions.map((r: { name: string }) => r.name),
    ["comment"],
  );
  for (const url of [stack.url, other.url]) assert.deepEqual(await restrictionsOn(url, token), ["comment"]);
  const verify = await stack.request("GET", "/auth/verify", { token });
  assert.equal(verify.headers.get("x-tongxing-restrictions"), "comment");

  const comment = await fetch(`${api.url}/comments`, { method: "POST", headers: { "x-wx-token": token } });
  assert.equal(comment.status, 403);
  assert.deepEqual(((await comment.json()) as { error: unknown }).error, {
    code: "RESTRICTED",
    message: "This user may not comment at the moment.",
    restriction: "comment",
    until: null,
  });
  const orders = await fetch(`${api.url}/orders`, { headers: { "x-wx-token": token } });
  assert.deepEqual(await orders.json(), { ok: true, restrictions: ["comment"] });

  const lift = await stack.request("DELETE", `/admin/users/${user.id}/restrictions/comment`, { headers: ADMIN });
  assert.deepEqual([lift.status, lift.body.restrictions], [200, []]);
  for (const url of [stack.url, other.url]) assert.deepEqual(await restrictionsOn(url, token), []);
  assert.equal((await fetch(`${api.url}/comments`, { method: "POST", headers: { "x-wx-token": token } })).status, 200);
  const again = await stack.request("DELETE", `/admin/users/${user.id}/restrictions/comment`, { headers: ADMIN });
  assert.deepEqual([again.status, again.body.error.code], [404, "RESTRICTION_NOT_FOUND"]);
  for (const odd of ["%00", "Comment", "a".repeat(40)]) {
    const res = await stack.request("DELETE", `/admin/users/${user.id}/restrictions/${odd}`, { headers: ADMIN });
    assert.deepEqual([res.status, res.body.error.code], [404, "RESTRICTION_NOT_FOUND"], odd);
  }
});

test("restrictions outlive the sessions: the next login carries them from the database; until ends them", async () => {
  const first = (await stack.login("rs-bob")).body;
  const until = new Date(Date.now() + 1500).toISOString();
  await stack.request("POST", `/admin/users/${first.user.id}/restrictions`, { headers: ADMIN, body: { name: "pay", until } });
  await stack.request("POST", `/admin/users/${first.user.id}/restrictions`, { headers: ADMIN, body: { name: "post" } });
  assert.equal((await stack.request("POST", "/auth/logout", { token: first.token })).status, 204);
  const second = (await stack.login("rs-bob")).body;
  assert.deepEqual(await restrictionsOn(stack.url, second.token), ["pay", "post"]);
  const lib = await verifier.verify(second.token);
  assert.deepEqual(
    lib?.restrictions.map((r) => [r.name, r.until?.toISOString() ?? null]),
    [
      ["pay", until],
      ["post", null],
    ],
  );
  await new Promise((r) => setTimeout(r, Date.parse(until) - Date.now() + 50));
  assert.deepEqual(await restrictionsOn(other.url, second.token), ["post"], "pay lifted itself");
});

test("bad names and times are 400 naming the field; 16 at most", async () => {
  const { user } = (await stack.login("rs-cat")).body;
  for (const body of [{ name: "Comment" }, { name: "" }, { name: "a".repeat(33) }, { name: "ok", until: "soon" }]) {
    const res = await stack.request("POST", `/admin/users/${user.id}/restrictions`, { headers: ADMIN, body });
    assert.equal(res.status, 400, JSON.stringify(body));
  }
  for (let i = 0; i < 16; i++) {
    const res = await stack.request("POST", `/admin/users/${user.id}/restrictions`, { headers: ADMIN, body: { name: `r${i}` } });
    assert.equal(res.status, 200, res.text);
  }
  const full = await stack.request("POST", `/admin/users/${user.id}/restrictions`, { headers: ADMIN, body: { name: "one-more" } });
  assert.deepEqual([full.status, full.body.error.code], [409, "TOO_MANY_RESTRICTIONS"]);
  const shown = await stack.request("GET", `/admin/users/${user.id}`, { headers: ADMIN });
  assert.equal(shown.body.restrictions.length, 16);
});
