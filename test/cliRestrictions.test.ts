/**
 * The operators' CLI on bans with an end and restrictions (partial bans): `users restrict` and
 * `users unrestrict` act as the admin API's routes do (same schema, same answer, same audit
 * trail, the session sees the change), and `users show` prints bannedUntil and the restrictions.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { runAdminCli } from "./process.js";
import { type Stack, startStack } from "./support.js";

let stack: Stack;
before(async () => {
  stack = await startStack({ ADMIN_TOKEN });
});
after(() => stack?.stop());

const cli = (...args: string[]) => runAdminCli(stack.env, ...args);
const admin = (method: string, path: string) => stack.request(method, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
const restrictionsOf = async (token: string) => (await stack.request("GET", "/auth/session", { token })).body.restrictions;

test("users restrict and unrestrict answer as the admin API, reach the session and are audited as the CLI's", async () => {
  const { user, token } = (await stack.login("cr-ann")).body;
  const id = String(user.id);
  const until = new Date(Date.now() + 3600_000).toISOString();

  const added = await cli("users", "restrict", id, "--name", "comment", "--reason", "spam", "--until", until, "--json");
  assert.equal(added.code, 0, added.stderr);
  const json = JSON.parse(added.stdout);
  assert.deepEqual(json, { restrictions: (await admin("GET", `/admin/users/${id}`)).body.restrictions });
  assert.deepEqual(
    json.restrictions.map((r: { name: string; reason: string; until: string }) => [r.name, r.reason, r.until]),
    [["comment", "spam", until]],
  );
  assert.deepEqual(await restrictionsOf(token), ["comment"], "the session carries it on the next request");

  // Text: one line per restriction, its end and reason.
  const text = await cli("users", "restrict", id, "--name", "post");
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split("\n");
  assert.equal(lines.length, 3, text.stdout);
  assert.match(lines[0] ?? "", new RegExp(`user ${id}`));
  assert.match(lines[1] ?? "", new RegExp(`comment .*until ${until}.*spam`));
  assert.match(lines[2] ?? "", /post .*until -/);

  const removed = await cli("users", "unrestrict", id, "--name", "comment", "--json");
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(
    JSON.parse(removed.stdout).restrictions.map((r: { name: string }) => r.name),
    ["post"],
  );
  assert.deepEqual(await restrictionsOf(token), ["post"]);
  const again = await cli("users", "unrestrict", id, "--name", "comment", "--json");
  assert.equal(again.code, 1);
  assert.equal(JSON.parse(again.stdout).error.code, "RESTRICTION_NOT_FOUND");

  const audit = (await admin("GET", `/admin/audit?userId=${id}`)).body.events as { action: string; actor: string; detail: string }[];
  assert.deepEqual(
    audit.filter((e) => e.action.startsWith("restriction_")).map((e) => `${e.action}/${e.actor}/${e.detail}`),
    ["restriction_removed/cli/comment", "restriction_added/cli/post", `restriction_added/cli/comment until ${until}: spam`],
  );
});

test("users show prints the restrictions and a ban's end", async () => {
  const { user } = (await stack.login("cr-bob")).body;
  const id = String(user.id);
  const until = new Date(Date.now() + 3600_000).toISOString();
  assert.equal((await cli("users", "restrict", id, "--name", "pay", "--reason", "chargeback")).code, 0);
  assert.equal((await cli("users", "ban", id, "--until", until)).code, 0);
  const show = await cli("users", "show", id);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`banned \\S+ until ${until}`));
  assert.match(show.stdout, /restricted pay .*until -.*chargeback/);
  const json = JSON.parse((await cli("users", "show", id, "--json")).stdout);
  assert.deepEqual(json, (await admin("GET", `/admin/users/${id}`)).body);
  assert.equal(json.bannedUntil, until);
});

test("bad options exit 2 naming the option, and change nothing", async () => {
  const { user, token } = (await stack.login("cr-bad")).body;
  const id = String(user.id);
  const past = new Date(Date.now() - 1000).toISOString();
  for (const [args, says] of [
    [["users", "ban", id, "--until", past], /INVALID_REQUEST: --until: must be in the future/],
    [["users", "restrict", id, "--name", "comment", "--until", past], /INVALID_REQUEST: --until: must be in the future/],
    [["users", "restrict", id, "--name", "Comment"], /INVALID_REQUEST: --name: must be the restriction's name/],
    [["users", "restrict", id], /INVALID_REQUEST: --name: required/],
    [["users", "unrestrict", id], /INVALID_REQUEST: --name: required/],
    [["users", "restrict", "--name", "comment"], /usage/],
    [["users", "unrestrict", id, "--name", "comment", "--reason", "r"], /usage/],
    [["users", "show", id, "--name", "comment"], /usage/],
  ] as const) {
    const out = await cli(...args);
    assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
    assert.match(out.stderr, says, args.join(" "));
  }
  assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200, "nothing was banned");
  assert.deepEqual(await restrictionsOf(token), [], "nor restricted");
});
