/**
 * A ban with an end: logins are refused with bannedUntil until it passes, then work again with no
 * operator; old tokens say BANNED with bannedUntil meanwhile.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Stack, startStack } from "./support.js";

const ADMIN = { authorization: `Bearer ${"a".repeat(40)}` };
let stack: Stack;
before(async () => {
  stack = await startStack({ ADMIN_TOKEN: "a".repeat(40) });
});
after(() => stack?.stop());

test("a ban until a time refuses logins with bannedUntil, then lifts itself", async () => {
  const first = await stack.login("bu-ann");
  const userId = first.body.user.id;
  const until = new Date(Date.now() + 1500).toISOString();
  const ban = await stack.request("POST", `/admin/users/${userId}/ban`, { headers: ADMIN, body: { reason: "spam", until } });
  assert.equal(ban.status, 200, ban.text);
  assert.equal(ban.body.bannedUntil, until);

  const refused = await stack.login("bu-ann");
  assert.deepEqual([refused.status, refused.body.error.code, refused.body.error.bannedUntil], [403, "USER_BANNED", until]);
  const old = await stack.request("GET", "/auth/session", { token: first.body.token });
  assert.deepEqual([old.body.error.reason, old.body.error.bannedUntil, old.body.error.banReason], ["BANNED", until, "spam"]);
  const shown = await stack.request("GET", `/admin/users/${userId}`, { headers: ADMIN });
  assert.equal(shown.body.bannedUntil, until);

  await new Promise((r) => setTimeout(r, Date.parse(until) - Date.now() + 100));
  const again = await stack.login("bu-ann");
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.user.id, userId);
  const after = await stack.request("GET", `/admin/users/${userId}`, { headers: ADMIN });
  assert.deepEqual([after.body.bannedAt, after.body.bannedUntil], [null, null], "the lapsed ban is cleared by the login");
});

test("until must be an ISO 8601 time in the future", async () => {
  const { body } = await stack.login("bu-bob");
  for (const until of [new Date(Date.now() - 1000).toISOString(), "tomorrow", "2027-01-01"]) {
    const res = await stack.request("POST", `/admin/users/${body.user.id}/ban`, { headers: ADMIN, body: { until } });
    assert.equal(res.status, 400, until);
    assert.match(res.body.error.message, /until/);
  }
  assert.equal((await stack.request("GET", "/auth/session", { token: body.token })).status, 200, "nothing was banned");
});
