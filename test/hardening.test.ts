/**
 * What a security review found (issue "Hardening"), each against the real server: a refused
 * login writes nothing, a body that does not decompress is bad input, and an admin API that is
 * off shows nothing of itself.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { type Stack, startStack } from "./support.js";

let stack: Stack;
let adminOff: Stack;
before(async () => {
  [stack, adminOff] = await Promise.all([startStack({ ADMIN_TOKEN }), startStack()]);
});
after(async () => {
  await Promise.all([stack.stop(), adminOff.stop()]);
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe("a refused login writes nothing", () => {
  test("a banned user's login with a profile → 403 USER_BANNED, and the profile stays as it was", async () => {
    const first = await stack.login("banned-profile", { profile: { nickname: "before", avatarUrl: "https://example.com/a.png" } });
    assert.equal(first.status, 200, first.text);
    const id = first.body.user.id as number;
    const ban = await stack.request("POST", `/admin/users/${id}/ban`, { headers: admin, body: { reason: "spam" } });
    assert.equal(ban.status, 200, ban.text);
    const row = () => stack.running.deps.prisma.user.findUniqueOrThrow({ where: { id } });
    const before = await row();

    const refused = await stack.login("banned-profile", { profile: { nickname: "after", avatarUrl: "https://evil.example/b.png" } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "USER_BANNED");
    const now = await row();
    assert.equal(now.nickname, "before");
    assert.equal(now.avatarUrl, "https://example.com/a.png");
    assert.equal(now.updatedAt.getTime(), before.updatedAt.getTime(), "the row was not written at all");
    assert.equal(now.lastLoginAt.getTime(), before.lastLoginAt.getTime());
  });
});

/** Sends a raw body with headers of our choosing (fetch would refuse some of these). */
function rawPost(url: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = httpRequest(
      `${url}/auth/login`,
      { method: "POST", headers: { ...headers, "content-length": String(body.length) } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("compressed bodies", () => {
  const json = { "content-type": "application/json" };
  for (const encoding of ["gzip", "deflate", "br"]) {
    test(`Content-Encoding: ${encoding} with bytes that do not decompress → 400 INVALID_REQUEST, not a 500`, async () => {
      const logsBefore = stack.logs.length;
      const res = await rawPost(stack.url, { ...json, "content-encoding": encoding }, Buffer.from("this is not compressed at all"));
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "INVALID_REQUEST");
      assert.match(res.body.error.message, /Content-Encoding/);
      assert.ok(!stack.logs.slice(logsBefore).some((l) => l.includes("unhandled error")), "no unhandled error in the log");
    });
  }

  test("a well-formed gzip body is still accepted", async () => {
    const res = await rawPost(stack.url, { ...json, "content-encoding": "gzip" }, gzipSync('{"code":"gzip-user#1"}'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test("an encoding we do not take → 415 UNSUPPORTED_MEDIA_TYPE naming Content-Encoding", async () => {
    const res = await rawPost(stack.url, { ...json, "content-encoding": "compress" }, Buffer.from('{"code":"x"}'));
    assert.equal(res.status, 415);
    assert.equal(res.body.error.code, "UNSUPPORTED_MEDIA_TYPE");
    assert.match(res.body.error.message, /Content-Encoding/);
  });
});

describe("the admin API", () => {
  const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

  test("off (no ADMIN_TOKEN): 404 NOT_FOUND for every method, no Allow header", async () => {
    for (const method of methods) {
      for (const path of ["/admin/users/1/ban", "/admin/users/1/sessions", "/admin/sessions/1.x", "/admin"]) {
        const res = await adminOff.request(method, path, { headers: admin });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.equal(res.body.error.code, "NOT_FOUND", `${method} ${path}`);
        assert.equal(res.headers.get("allow"), null, `${method} ${path}`);
      }
    }
  });

  test("on: without the token every method is 401 ADMIN_UNAUTHORIZED, before any method handling", async () => {
    for (const method of methods) {
      const res = await stack.request(method, "/admin/users/1/ban");
      assert.equal(res.status, 401, method);
      assert.equal(res.body.error.code, "ADMIN_UNAUTHORIZED", method);
      assert.equal(res.headers.get("allow"), null, method);
    }
    // With the token, method handling is as before.
    const wrongMethod = await stack.request("PUT", "/admin/users/1/ban", { headers: admin });
    assert.equal(wrongMethod.status, 405);
  });
});
