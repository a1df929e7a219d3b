/**
 * The admin API's and the CLI's platform filter (`GET /admin/users?platform=`, `users list
 * --platform`) against a real tongxing with a WeChat app and a Douyin app (the fake platforms):
 * only the users with an identity of that platform, paged, with the nickname search; a platform
 * that is not one of PLATFORMS, or one beside an exact match, is refused naming the field.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type FakePlatforms, startFakePlatforms } from "../src/platforms/fakeServer.js";
import { PLATFORMS } from "../src/platforms/types.js";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { runAdminCli } from "./process.js";
import { APPID, codeFor, SECRET, type Stack, startStack } from "./support.js";

const DOUYIN = { platform: "douyin", appid: "tt0000000000000001", secret: "douyin-secret-1" } as const;

let stack: Stack;
let fakes: FakePlatforms;
before(async () => {
  fakes = await startFakePlatforms({ apps: [DOUYIN] });
  stack = await startStack({
    ADMIN_TOKEN,
    WECHAT_APPID: "",
    WECHAT_SECRET: "",
    APPS: JSON.stringify([
      { platform: "wechat", appid: APPID, secret: SECRET, name: "Shop" },
      { ...DOUYIN, name: "Shop on Douyin" },
    ]),
    DOUYIN_API_BASE: fakes.apiBase("douyin"),
  });
});
after(async () => {
  await stack?.stop();
  await fakes?.close();
});

const admin = (path: string) => stack.request("GET", path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
const ids = (res: { body: { users: { id: number }[] } }) => res.body.users.map((u) => u.id);

/** Logs a new person in from the platform's app and gives them `nickname`; their user id and token. */
async function newUser(platform: "wechat" | "douyin", nickname: string): Promise<{ id: number; token: string }> {
  const appid = platform === "wechat" ? APPID : DOUYIN.appid;
  const res = await stack.request("POST", "/auth/login", { body: { code: codeFor(`${platform}-${nickname}`), appid } });
  assert.equal(res.status, 200, res.text);
  const token = res.body.token as string;
  assert.equal((await stack.request("PATCH", "/me", { token, body: { nickname } })).status, 200);
  return { id: res.body.user.id as number, token };
}

describe("GET /admin/users?platform=", () => {
  test("lists only the users with an identity of that platform, newest first, paged, with the nickname search", async () => {
    const lin = await newUser("douyin", "Lin Dou");
    const wechat = await newUser("wechat", "Lin Wei");
    const mo = await newUser("douyin", "Mo");
    const gone = await newUser("douyin", "Gone");
    assert.equal((await stack.request("DELETE", "/me", { token: gone.token })).status, 204);

    const douyin = await admin("/admin/users?platform=douyin");
    assert.equal(douyin.status, 200, douyin.text);
    assert.deepEqual(ids(douyin), [mo.id, lin.id], "a deleted account has no identity left");
    assert.equal(douyin.body.next, null);
    assert.ok(douyin.body.users.every((u: { identities: { platform: string }[] }) => u.identities.some((i) => i.platform === "douyin")));
    assert.deepEqual(ids(await admin("/admin/users?platform=wechat")), [wechat.id]);
    assert.deepEqual(await admin("/admin/users?platform=qq").then((r) => r.body), { users: [], next: null });

    // Paged: the WeChat user between the two Douyin users is skipped, not counted.
    const first = await admin("/admin/users?platform=douyin&limit=1");
    assert.deepEqual([ids(first), first.body.next], [[mo.id], String(mo.id)]);
    const second = await admin(`/admin/users?platform=douyin&limit=1&cursor=${first.body.next}`);
    assert.deepEqual([ids(second), second.body.next], [[lin.id], null]);

    // Both filters: a nickname prefix among that platform's users.
    assert.deepEqual(ids(await admin("/admin/users?platform=douyin&nickname=lin")), [lin.id]);
    assert.deepEqual(ids(await admin("/admin/users?platform=wechat&nickname=lin")), [wechat.id]);
  });

  test("a user with identities on two platforms is listed once under each", async () => {
    const both = await newUser("wechat", "Both");
    // As a later binding of a Douyin account to this user would leave it.
    await stack.running.deps.prisma.identity.create({
      data: { platform: "douyin", appid: DOUYIN.appid, openid: `bound-${both.id}`, userId: both.id },
    });
    await stack.running.deps.prisma.identity.create({
      data: { platform: "douyin", appid: "tt0000000000000009", openid: `bound-${both.id}`, userId: both.id },
    });
    for (const platform of ["wechat", "douyin"]) {
      const listed = ids(await admin(`/admin/users?platform=${platform}`));
      assert.equal(listed.filter((id) => id === both.id).length, 1, platform);
    }
  });

  test("a platform that is not one of the platforms → 400 naming the field and the platforms", async () => {
    for (const query of ["platform=line", "platform=Douyin", "platform=", "platform=douyin&platform=qq", "platform=douyin&nickname="]) {
      const res = await admin(`/admin/users?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      if (query.endsWith("nickname=")) assert.match(res.body.error.message, /^nickname: /, query);
      else assert.equal(res.body.error.message, `platform: must be one of ${PLATFORMS.join(", ")}`, query);
    }
  });

  test("beside an exact match (openid, unionid, phone) → 400 naming platform", async () => {
    for (const query of ["unionid=u1&platform=douyin", "openid=o1&platform=wechat", "phone=%2B8613900000000&platform=qq"]) {
      const res = await admin(`/admin/users?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.match(res.body.error.message, /platform/, query);
      assert.doesNotMatch(res.body.error.message, /unknown field/, query);
    }
  });
});

describe("the CLI's users list --platform", () => {
  test("gives what the admin API gives; shows each identity's platform; a bad platform exits 2 naming it", async () => {
    const dy = await newUser("douyin", "Cli Dou");
    const api = await admin("/admin/users?platform=douyin&limit=2");
    const out = await runAdminCli(stack.env, "users", "list", "--platform", "douyin", "--limit", "2", "--json");
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), api.body);
    assert.equal(api.body.users[0].id, dy.id);

    const text = await runAdminCli(stack.env, "users", "list", "--platform", "douyin", "--nickname", "cli");
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^user ${dy.id} .*\\n {2}douyin {2}${DOUYIN.appid} `));

    const bad = await runAdminCli(stack.env, "users", "list", "--platform", "line");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /INVALID_REQUEST: platform: must be one of wechat, douyin/);
    const misplaced = await runAdminCli(stack.env, "users", "find", "--unionid", "u1", "--platform", "douyin");
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--platform/);
  });
});
