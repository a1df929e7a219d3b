/**
 * tongxing as a Node library: createSessionVerifier and requireSession agree with the service
 * (idle and absolute expiry, renewal, revocation, ban), answer as it does, and never let a token
 * through that could not be checked.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Koa from "koa";
import { createSessionVerifier, requireSession, type SessionState, type SessionVerifier } from "../verifier/src/index.js";
import { CuttableProxy } from "./proxy.js";
import { APPID, REDIS_URL, type Stack, startStack } from "./support.js";

const IDLE = 2;
const MAX_AGE = 4;
let stack: Stack;
let verifier: SessionVerifier;
before(async () => {
  stack = await startStack({ SESSION_IDLE_TTL: String(IDLE), SESSION_MAX_AGE: String(MAX_AGE) });
  verifier = createSessionVerifier({ redis: REDIS_URL, keyPrefix: stack.prefix, idleTtl: IDLE, maxAge: MAX_AGE });
});
after(async () => {
  await verifier.close();
  await stack.stop();
});

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

async function login(user: string) {
  const res = await stack.login(user);
  assert.equal(res.status, 200, res.text);
  return res.body as { token: string; user: { id: number } };
}

/** The library's and the service's verdicts on a token, one right after the other. */
async function both(token: string) {
  const lib = await verifier.verify(token);
  const svc = await stack.request("GET", "/auth/session", { token });
  return { lib, svc };
}

describe("the library and the service agree", () => {
  test("on idle expiry, renewal and absolute expiry (real Redis, real time)", async () => {
    const busy = await login("lib-busy");
    const idle = await login("lib-idle");
    const start = await both(busy.token);
    assert.equal(start.lib?.userId, busy.user.id);
    assert.equal(start.lib?.sessionId, start.svc.body.sessionId);
    assert.equal(start.lib?.expiresAt.toISOString(), start.svc.body.expiresAt);
    const createdAt = new Date(start.svc.body.createdAt).getTime();
    const idleExpiresAt = (await verifier.verify(idle.token))?.expiresAt.getTime() ?? 0;

    // Less than half the idle window left: the library's check renews, and the service sees it.
    await sleepUntil(start.lib.expiresAt.getTime() - 800);
    const renewed = await verifier.verify(busy.token);
    assert.ok(renewed);
    assert.ok(renewed.expiresAt.getTime() > start.lib.expiresAt.getTime(), "renewed by the library");
    const seen = await stack.request("GET", "/auth/session", { token: busy.token });
    assert.equal(seen.body.expiresAt, renewed.expiresAt.toISOString(), "the service sees the library's renewal");

    // Idle timeout: the unused session is dead for both; the renewed one lives.
    await sleepUntil(idleExpiresAt + 100);
    const dead = await both(idle.token);
    assert.equal(dead.lib, null);
    assert.equal(dead.svc.status, 401);
    const alive = await both(busy.token);
    assert.ok(alive.lib);
    assert.equal(alive.svc.status, 200);

    // Absolute timeout: a renewal goes no further than createdAt + maxAge, and however busy, the
    // session is dead for both from then on.
    await sleepUntil(renewed.expiresAt.getTime() - 800);
    const capped = await verifier.verify(busy.token);
    assert.equal(capped?.expiresAt.getTime(), createdAt + MAX_AGE * 1000, "renewal capped at the absolute timeout");
    await sleepUntil(createdAt + MAX_AGE * 1000 - 300);
    assert.ok(await verifier.verify(busy.token), "still alive just before the absolute timeout");
    await sleepUntil(createdAt + MAX_AGE * 1000 + 100);
    const old = await both(busy.token);
    assert.equal(old.lib, null);
    assert.equal(old.svc.status, 401);
  });

  test("on revocation and ban, on the very next check", async () => {
    const a = await login("lib-revoke");
    assert.ok(await verifier.verify(a.token));
    assert.equal((await stack.request("POST", "/auth/logout", { token: a.token })).status, 204);
    assert.equal(await verifier.verify(a.token), null);

    const b = await login("lib-ban");
    assert.ok(await verifier.verify(b.token));
    await stack.running.deps.sessions.ban(b.user.id);
    assert.equal(await verifier.verify(b.token), null);
  });

  test("openid and unionid are the user's, and junk tokens are null without an error", async () => {
    const a = await login("lib-ids");
    const row = await stack.running.deps.prisma.identity.findFirstOrThrow({ where: { userId: a.user.id } });
    const v = await verifier.verify(a.token);
    assert.equal(v?.openid, row.openid);
    assert.equal(v?.unionid, row.unionid);
    assert.equal(v?.appid, APPID, "the primary app, as tongxing recorded it in Redis at start");
    assert.equal(v?.platform, "wechat");
    for (const junk of ["", null, undefined, "x", `1.${"A".repeat(32)}`, "a".repeat(5000)]) assert.equal(await verifier.verify(junk), null);
  });

  test("a longer idleTtl option never lengthens a session: the service's idle timeout, published in Redis, bounds it", async () => {
    const lax = createSessionVerifier({ redis: REDIS_URL, keyPrefix: stack.prefix, idleTtl: 3600 });
    try {
      const a = await login("lib-lax");
      const before = await stack.request("GET", "/auth/session", { token: a.token });
      const v = await lax.verify(a.token);
      assert.ok(v);
      assert.ok(v.expiresAt.getTime() <= Date.now() + IDLE * 1000, `expiresAt ${v.expiresAt.toISOString()} past the service's idle window`);
      const after = await stack.request("GET", "/auth/session", { token: a.token });
      assert.equal(after.body.expiresAt, before.body.expiresAt, "the library's check did not move the service's expiry");
    } finally {
      await lax.close();
    }
  });

  test("without the settings the service publishes, the library refuses to answer; the service writes them again", async () => {
    const keys = [`${stack.prefix}primary_appid`, `${stack.prefix}settings`];
    for (const key of keys) {
      const a = await login("lib-settings");
      await stack.redis.del(key);
      const fresh = createSessionVerifier({ redis: REDIS_URL, keyPrefix: stack.prefix });
      try {
        await assert.rejects(fresh.verify(a.token), /settings/, `${key} missing: never an empty appid or a guessed idle timeout`);
        // The service checks every few seconds; the stack's sessions live 2 s, so a new login
        // shows the verifier answers again.
        let answered = false;
        for (const deadline = Date.now() + 10_000; !answered && Date.now() < deadline; ) {
          await new Promise((r) => setTimeout(r, 250));
          answered = await fresh.verify(a.token).then(
            () => true,
            () => false,
          );
        }
        assert.ok(answered, `the service wrote ${key} again`);
        const b = await login("lib-settings");
        assert.equal((await fresh.verify(b.token))?.appid, APPID);
      } finally {
        await fresh.close();
      }
    }
  });

  test("options are checked", () => {
    assert.throws(() => createSessionVerifier({ redis: REDIS_URL, idleTtl: 0 }), /idleTtl must be a positive whole number of seconds/);
    assert.throws(() => createSessionVerifier({ redis: REDIS_URL, maxAge: 1.5 }), /maxAge/);
  });
});

describe("the library's session cache", () => {
  test("a verifier that opened its own connection answers a session checked again from memory, and a logout on the very next check", async () => {
    const proxy = await new CuttableProxy(Number(new URL(REDIS_URL).port || 6379)).start();
    const cached = createSessionVerifier({ redis: `redis://127.0.0.1:${proxy.port}`, keyPrefix: stack.prefix });
    try {
      const a = await login("lib-cached");
      // The user's hash key goes to Redis with every read of one of their sessions.
      const reads = () => proxy.sent.split(`{u${a.user.id}}`).length - 1;
      proxy.recording = true;
      // The cache turns on once tracking is set up: checks from then on stop reaching Redis.
      let readsPerCheck = Number.POSITIVE_INFINITY;
      for (const deadline = Date.now() + 3000; readsPerCheck > 0 && Date.now() < deadline; ) {
        const before = reads();
        for (let i = 0; i < 10; i++) assert.equal((await cached.verify(a.token))?.userId, a.user.id);
        readsPerCheck = (reads() - before) / 10;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(readsPerCheck, 0, "10 checks of a cached session, no read of it in Redis");

      assert.equal((await stack.request("POST", "/auth/logout", { token: a.token })).status, 204);
      assert.equal(await cached.verify(a.token), null, "the logout, on the very next check");
    } finally {
      await cached.close();
      await proxy.stop();
    }
  });
});

describe("requireSession (Koa)", () => {
  async function serve(v: SessionVerifier) {
    const app = new Koa();
    app.use(requireSession(v));
    app.use((ctx) => {
      ctx.body = { userId: (ctx.state as SessionState).session.userId };
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  test("a live session → ctx.state.session; refusals are tongxing's own JSON errors", async () => {
    const app = await serve(verifier);
    try {
      const a = await login("lib-koa");
      const ok = await fetch(`${app.url}/orders`, { headers: { authorization: `Bearer ${a.token}` } });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { userId: a.user.id });

      const missing = await fetch(`${app.url}/orders`);
      assert.equal(missing.status, 401);
      assert.deepEqual(await missing.json(), (await stack.request("GET", "/auth/session")).body);

      await stack.request("POST", "/auth/logout", { token: a.token });
      const invalid = await fetch(`${app.url}/orders`, { headers: { "X-WX-Token": a.token } });
      assert.equal(invalid.status, 401);
      assert.deepEqual(await invalid.json(), (await stack.request("GET", "/auth/session", { token: a.token })).body);
    } finally {
      app.close();
    }
  });

  test("Redis unreachable → 503 SERVICE_UNAVAILABLE, never a pass", async () => {
    const proxy = await new CuttableProxy(Number(new URL(REDIS_URL).port || 6379)).start();
    const cut = createSessionVerifier({ redis: `redis://127.0.0.1:${proxy.port}`, keyPrefix: stack.prefix, idleTtl: IDLE });
    const app = await serve(cut);
    try {
      const a = await login("lib-outage");
      assert.equal((await fetch(`${app.url}/x`, { headers: { "X-WX-Token": a.token } })).status, 200);
      proxy.cut();
      const res = await fetch(`${app.url}/x`, { headers: { "X-WX-Token": a.token } });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "SERVICE_UNAVAILABLE");
      await assert.rejects(cut.verify(a.token));
    } finally {
      app.close();
      await cut.close();
      await proxy.stop();
    }
  });
});
