/**
 * How many sessions a user may hold: SESSION_CONCURRENCY (multi, single-per-app, single; an
 * app's own `concurrency`), SESSIONS_PER_USER_OVERFLOW (evict-oldest, refuse-new). Ended
 * sessions say REPLACED on the next request; racing logins leave exactly one session.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { APPID, codeFor, SECRET, type Stack, startStack } from "./support.js";

const LITE = "wxlite0123456789ab";
const LITE_SECRET = "lite-secret-0123456789";

async function withStack(env: Record<string, string>, fn: (stack: Stack) => Promise<void>) {
  const stack = await startStack(
    {
      WECHAT_APPID: "",
      WECHAT_SECRET: "",
      WECHAT_APPS: JSON.stringify([
        { appid: APPID, secret: SECRET },
        { appid: LITE, secret: LITE_SECRET, ...(env.LITE_CONCURRENCY && { concurrency: env.LITE_CONCURRENCY }) },
      ]),
      ...env,
    },
    { moreApps: [{ appid: LITE, secret: LITE_SECRET }] },
  );
  try {
    await fn(stack);
  } finally {
    await stack.stop();
  }
}

const status = async (stack: Stack, token: string) => {
  const res = await stack.request("GET", "/auth/session", { token });
  return res.status === 200 ? "live" : res.body.error.reason;
};

test("single-per-app: a login ends the user's other sessions of that app only; racing logins leave one", async () => {
  await withStack({ SESSION_CONCURRENCY: "single-per-app" }, async (stack) => {
    const phone = (await stack.login("cc-ann", { appid: APPID })).body.token;
    const lite = (await stack.login("cc-ann", { appid: LITE })).body.token;
    const tablet = (await stack.login("cc-ann", { appid: APPID })).body.token;
    assert.deepEqual([await status(stack, phone), await status(stack, lite), await status(stack, tablet)], ["REPLACED", "live", "live"]);

    const racing = await Promise.all(Array.from({ length: 6 }, () => stack.login("cc-ann", { appid: APPID })));
    const tokens = racing.map((r) => r.body.token as string);
    const live = [];
    for (const token of [tablet, ...tokens]) if ((await status(stack, token)) === "live") live.push(token);
    assert.equal(live.length, 1, "exactly one session of the app survives the race");
    assert.equal(await status(stack, lite), "live");
    await stack.running.deps.audit.flush();
    const userId = racing[0]?.body.user.id;
    const replaced = await stack.running.deps.prisma.auditEvent.count({
      where: { userId, action: "eviction", detail: { contains: "SESSION_CONCURRENCY" } },
    });
    assert.equal(replaced, 7, "each ended session is in the audit trail");
  });
});

test("single: a login ends every other session; an app may override it with its own concurrency", async () => {
  await withStack({ SESSION_CONCURRENCY: "single", LITE_CONCURRENCY: "multi" }, async (stack) => {
    const a = (await stack.login("cc-bob", { appid: LITE })).body.token;
    const b = (await stack.login("cc-bob", { appid: LITE })).body.token;
    assert.deepEqual([await status(stack, a), await status(stack, b)], ["live", "live"], "the lite app is multi");
    const c = (await stack.login("cc-bob", { appid: APPID })).body.token;
    assert.deepEqual([await status(stack, a), await status(stack, b), await status(stack, c)], ["REPLACED", "REPLACED", "live"]);
    // Racing logins from the primary app (single) leave exactly one session of the user.
    const racing = await Promise.all(Array.from({ length: 6 }, () => stack.login("cc-bob", { appid: APPID })));
    let live = 0;
    for (const token of [c, ...racing.map((r) => r.body.token as string)]) if ((await status(stack, token)) === "live") live++;
    assert.equal(live, 1);
  });
});

test("refuse-new: the login past SESSIONS_PER_USER_MAX is 409 TOO_MANY_SESSIONS; the sessions stay", async () => {
  await withStack({ SESSIONS_PER_USER_MAX: "2", SESSIONS_PER_USER_OVERFLOW: "refuse-new" }, async (stack) => {
    const a = (await stack.login("cc-cat", { appid: APPID })).body.token;
    const b = (await stack.login("cc-cat", { appid: APPID })).body.token;
    const userId = (await stack.request("GET", "/auth/session", { token: a })).body.userId as number;
    const before = await stack.running.deps.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    const refused = await stack.request("POST", "/auth/login", {
      body: { code: codeFor("cc-cat"), appid: APPID, profile: { nickname: "refused-login" } },
    });
    assert.deepEqual([refused.status, refused.body.error.code], [409, "TOO_MANY_SESSIONS"]);
    const after = await stack.running.deps.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    assert.deepEqual(
      [after.lastLoginAt.getTime(), after.nickname],
      [before.lastLoginAt.getTime(), before.nickname],
      "nothing written: neither the last login nor the profile it sent",
    );
    assert.deepEqual([await status(stack, a), await status(stack, b)], ["live", "live"]);
    assert.equal((await stack.request("POST", "/auth/logout", { token: a })).status, 204);
    assert.equal((await stack.login("cc-cat", { appid: APPID })).status, 200, "room again after a logout");
  });
});

test("a bad SESSION_CONCURRENCY or app concurrency is a start error naming it", async () => {
  const { loadConfig } = await import("../src/config/config.js");
  assert.throws(() => loadConfig({ SESSION_CONCURRENCY: "one" }), /SESSION_CONCURRENCY/);
  assert.throws(
    () => loadConfig({ WECHAT_APPS: JSON.stringify([{ appid: APPID, secret: "s", concurrency: "one" }]) }),
    /WECHAT_APPS\[0\]\.concurrency: must be one of multi, single-per-app, single/,
  );
});
