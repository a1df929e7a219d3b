/**
 * A ban (and an unban) is all or nothing as seen after recovery: with Redis down when the admin
 * bans, either the user ends up banned everywhere (database flag, and their tokens refused) or
 * not at all. Redis here keeps its data across the restart (append-only file, fsync always), so
 * what was written before the outage is still there after it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN_TOKEN } from "../lifecycleSuite.js";
import { type Stack, startStack } from "../support.js";
import { redisServerTool } from "../tools.js";
import { PrivateRedis } from "./services.js";

const tool = redisServerTool;
const redis = new PrivateRedis();
let stack: Stack | undefined;
before(async () => {
  if (!tool.path) return;
  await redis.start();
  stack = await startStack({ ADMIN_TOKEN, REDIS_URL: `redis://127.0.0.1:${redis.port}` });
});
after(async () => {
  await stack?.stop();
  await redis.destroy();
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function untilUp(s: Stack): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await s.request("GET", "/readyz")).status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("Redis did not come back");
}

test("ban with Redis down: 503, and after recovery the user is either banned everywhere or not at all", { skip: tool.skip }, async () => {
  assert.ok(tool.path, tool.missing);
  const s = stack as Stack;
  const login = await s.login("ban-outage");
  const { token } = login.body;
  const id = login.body.user.id;
  await redis.kill();
  const ban = await s.request("POST", `/admin/users/${id}/ban`, { headers: admin, body: { reason: "fraud" } });
  assert.equal(ban.status, 503, ban.text);
  await redis.start();
  await untilUp(s);
  const row = await s.running.deps.prisma.user.findUniqueOrThrow({ where: { id } });
  const tokenWorks = (await s.request("GET", "/auth/session", { token })).status === 200;
  const loginWorks = (await s.login("ban-outage")).status === 200;
  assert.equal(row.bannedAt === null, tokenWorks, `database banned: ${row.bannedAt !== null}, old token works: ${tokenWorks}`);
  assert.equal(row.bannedAt === null, loginWorks, `database banned: ${row.bannedAt !== null}, login works: ${loginWorks}`);

  // The admin's retry, once Redis is back, completes it.
  const retry = await s.request("POST", `/admin/users/${id}/ban`, { headers: admin, body: {} });
  assert.equal(retry.status, 200, retry.text);
  assert.equal((await s.request("GET", "/auth/session", { token })).status, 401);
  assert.equal((await s.login("ban-outage")).status, 403);
});

test("unban with Redis down: 503, and after recovery the user is either unbanned everywhere or still banned", {
  skip: tool.skip,
}, async () => {
  assert.ok(tool.path, tool.missing);
  const s = stack as Stack;
  const login = await s.login("unban-outage");
  const id = login.body.user.id;
  assert.equal((await s.request("POST", `/admin/users/${id}/ban`, { headers: admin, body: {} })).status, 200);
  await redis.kill();
  const unban = await s.request("DELETE", `/admin/users/${id}/ban`, { headers: admin });
  assert.equal(unban.status, 503, unban.text);
  await redis.start();
  await untilUp(s);
  const row = await s.running.deps.prisma.user.findUniqueOrThrow({ where: { id } });
  const loginWorks = (await s.login("unban-outage")).status === 200;
  assert.equal(row.bannedAt === null, loginWorks, `database banned: ${row.bannedAt !== null}, login works: ${loginWorks}`);
});
