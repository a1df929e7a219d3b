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

test("bad options exit 2 naming the option, and change nothing", async () => {
  const { user, token } = (await stack.login("cr-bad")).body;
  const id = String(user.id);
  for (const args of [["users", "ban", id, "--until", new Date(Date.now() - 1000).toISOString()]]) {
    const out = await cli(...args);
    assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
    assert.match(out.stderr, /INVALID_REQUEST: --until|usage/, args.join(" "));
  }
  assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200, "nothing was banned");
});
