import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parsePublicSessionId, parseToken, publicSessionId, sidOf } from "../../verifier/src/token.js";
import { newToken } from "./newToken.js";

test("tokens carry 192 random bits after the user id and parse back", () => {
  const token = newToken(42);
  assert.match(token, /^42\.[A-Za-z0-9_-]{32}$/);
  assert.deepEqual(parseToken(token), { userId: 42, sid: sidOf(token) });
  assert.equal(new Set(Array.from({ length: 1000 }, () => newToken(1))).size, 1000);
});

test("the public session id round-trips and is not the token", () => {
  const token = newToken(7);
  const id = publicSessionId(7, sidOf(token));
  assert.ok(!id.includes(token.slice(2)));
  assert.deepEqual(parsePublicSessionId(id), { userId: 7, sid: sidOf(token) });
});

test("parseToken never throws and accepts only our shape", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      const parsed = parseToken(s);
      if (parsed) assert.match(s, /^[1-9]\d*\.[A-Za-z0-9_-]{32}$/);
    }),
    { numRuns: 2000 },
  );
  assert.equal(parseToken("0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), null);
  assert.equal(parseToken("3000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), null);
});

test("the sid is the first 22 characters of base64url(SHA-256(token)), so stored sessions survive an upgrade", () => {
  // sha256("1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), computed with sha256sum | xxd -r -p | base64url.
  assert.equal(sidOf("1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "Y0Z-5BchhR58GxPXqbPQ4J");
});
