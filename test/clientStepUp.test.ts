/**
 * The SDK's stepUp() against a real tongxing and the fake WeChat: SOTER through a fake device on
 * the simulated `wx` (fixtures/fakeSoter.ts), the phone through getPhoneNumber codes; and a
 * business API guarded by the library's requireStepUp, whose 403 STEP_UP_REQUIRED reaches the app.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient, type TongxingClient, TongxingError } from "../client/src/index.js";
import { createSessionVerifier, requireSession, requireStepUp, type SessionVerifier } from "../verifier/src/index.js";
import { codesFrom, wxShapedFake } from "./fixtures/fakeRuntimes.js";
import { type FakeSoterOptions, withFakeSoter } from "./fixtures/fakeSoter.js";
import { simulatedWx } from "./fixtures/simulatedWx.js";
import { startLibraryApi } from "./libraryApi.js";
import { REDIS_URL, type Stack, startStack } from "./support.js";

let stack: Stack;
let verifier: SessionVerifier;
let api: { url: string; close(): void };

before(async () => {
  stack = await startStack();
  verifier = createSessionVerifier({ redis: REDIS_URL, keyPrefix: stack.prefix });
  api = await startLibraryApi([requireSession(verifier), requireStepUp()], () => ({ withdrawn: true }));
});
after(async () => {
  api?.close();
  await verifier?.close();
  await stack?.stop();
});

/** A client on the simulated wx with a fake SOTER device (none when `soter` is null). */
function clientWith(user: string, soter: FakeSoterOptions | null = {}) {
  const { wx, counts } = simulatedWx(user);
  const device = soter ? withFakeSoter(wx, soter) : { calls: [] };
  return { tx: createClient({ baseUrl: stack.url, wx }), counts, calls: device.calls };
}

const elevatedUntil = async (tx: TongxingClient) =>
  (await tx.request<{ elevatedUntil: string | null }>({ url: "/auth/session" })).elevatedUntil;
const withdraw = (tx: TongxingClient) => tx.request<{ withdrawn: boolean }>({ url: `${api.url}/withdraw`, method: "POST" });
const rejectsWith = (code: string, status: number) => (err: unknown) =>
  err instanceof TongxingError && err.code === code && err.status === status && err.message.length > 0;

describe("stepUp with SOTER", () => {
  test("a fingerprint steps the session up: elevatedUntil, as GET /auth/session shows; STEP_UP_REQUIRED before, through after", async () => {
    const { tx, calls } = clientWith("sdk-su-ann");
    await assert.rejects(withdraw(tx), rejectsWith("STEP_UP_REQUIRED", 403), "the app is told, no fingerprint prompted by itself");
    assert.equal(calls.filter((c) => c.fn === "startSoterAuthentication").length, 0);
    const { elevatedUntil: until } = await tx.stepUp({ method: "soter", authContent: "确认提现" });
    assert.ok(Date.parse(until) > Date.now());
    assert.equal(await elevatedUntil(tx), until);
    assert.deepEqual(await withdraw(tx), { withdrawn: true });
    const start = calls.find((c) => c.fn === "startSoterAuthentication")?.params;
    assert.deepEqual(start?.requestAuthModes, ["fingerPrint"]);
    assert.equal(start?.authContent, "确认提现");
    assert.match(String(start?.challenge), /^[A-Za-z0-9_-]{32}$/, "the server's challenge");
  });

  test("the mode: fingerprint first, else face; the first usable of the app's requestAuthModes", async () => {
    const modeOf = async (user: string, soter: FakeSoterOptions, requestAuthModes?: ("fingerPrint" | "facial")[]) => {
      const { tx, calls } = clientWith(user, soter);
      await tx.stepUp({ method: "soter", ...(requestAuthModes && { requestAuthModes }) });
      return calls.find((c) => c.fn === "startSoterAuthentication")?.params.requestAuthModes;
    };
    const both = ["fingerPrint", "facial"];
    assert.deepEqual(await modeOf("sdk-su-m1", { supportMode: both }), ["fingerPrint"]);
    assert.deepEqual(await modeOf("sdk-su-m2", { supportMode: ["facial"] }), ["facial"]);
    assert.deepEqual(await modeOf("sdk-su-m3", { supportMode: both, enrolled: ["facial"] }), ["facial"], "supported, not enrolled");
    assert.deepEqual(await modeOf("sdk-su-m4", { supportMode: both }, ["facial", "fingerPrint"]), ["facial"]);
    assert.deepEqual(await modeOf("sdk-su-m5", { supportMode: ["fingerPrint"] }, ["facial", "fingerPrint"]), ["fingerPrint"]);
  });

  test("a device whose signature WeChat refuses → 401 STEP_UP_FAILED, not stepped up", async () => {
    const { tx } = clientWith("sdk-su-bob", { sign: () => "Zm9yZ2Vk" });
    await assert.rejects(tx.stepUp({ method: "soter" }), rejectsWith("STEP_UP_FAILED", 401));
    assert.equal(await elevatedUntil(tx), null);
    await assert.rejects(withdraw(tx), rejectsWith("STEP_UP_REQUIRED", 403));
  });

  test("not supported, not enrolled, not WeChat → the local error, without a server call", async () => {
    const cases: [string, FakeSoterOptions | null, ("fingerPrint" | "facial")[] | undefined, string][] = [
      ["sdk-su-l1", { supportMode: [] }, undefined, "SOTER_UNSUPPORTED"],
      ["sdk-su-l2", null, undefined, "SOTER_UNSUPPORTED"],
      ["sdk-su-l3", { supportMode: ["fingerPrint"] }, ["facial"], "SOTER_UNSUPPORTED"],
      ["sdk-su-l4", { supportMode: ["fingerPrint", "facial"], enrolled: [] }, undefined, "SOTER_NOT_ENROLLED"],
    ];
    for (const [user, soter, requestAuthModes, code] of cases) {
      const { tx, counts, calls } = clientWith(user, soter);
      await tx.ensureLogin();
      const requests = counts.request;
      await assert.rejects(tx.stepUp({ method: "soter", ...(requestAuthModes && { requestAuthModes }) }), rejectsWith(code, 0), user);
      assert.equal(counts.request, requests, `${user}: no challenge asked`);
      assert.equal(calls.filter((c) => c.fn === "startSoterAuthentication").length, 0, `${user}: no prompt`);
    }
    // A runtime with wx's SOTER calls that is not wx: tongxing only has WeChat verify signatures.
    const tt = wxShapedFake("login", codesFrom());
    const ttSoter = withFakeSoter(tt.api);
    const onDouyin = createClient({ baseUrl: stack.url, runtime: { tt: tt.api } });
    await assert.rejects(onDouyin.stepUp({ method: "soter" }), rejectsWith("SOTER_UNSUPPORTED", 0));
    assert.deepEqual([tt.calls, ttSoter.calls], [[], []], "no login, no request, no SOTER call");
  });

  test("the person cancels the prompt → SOTER_CANCELLED; other failures → SOTER_FAILED with WeChat's errCode", async () => {
    const cancelled = clientWith("sdk-su-cat", { failWith: { errCode: 90008, errMsg: "startSoterAuthentication:fail cancel" } });
    await assert.rejects(cancelled.tx.stepUp({ method: "soter" }), rejectsWith("SOTER_CANCELLED", 0));
    assert.equal(await elevatedUntil(cancelled.tx), null);
    const locked = clientWith("sdk-su-dan", { failWith: { errCode: 90010, errMsg: "startSoterAuthentication:fail too many attempts" } });
    await assert.rejects(locked.tx.stepUp({ method: "soter" }), (err: TongxingError) => {
      assert.equal(err.code, "SOTER_FAILED");
      assert.match(err.message, /90010/);
      return true;
    });
  });
});

describe("stepUp with the phone", () => {
  test("the bound number's getPhoneNumber code steps up; another number → STEP_UP_FAILED; none bound → NO_PHONE", async () => {
    const { tx } = clientWith("sdk-su-eve", null);
    await assert.rejects(tx.stepUp({ method: "phone", code: "phone-13900000001" }), rejectsWith("NO_PHONE", 409));
    await tx.bindPhone("phone-13900000001#bind");
    await assert.rejects(tx.stepUp({ method: "phone", code: "phone-13900000002" }), rejectsWith("STEP_UP_FAILED", 401));
    assert.equal(await elevatedUntil(tx), null);
    const { elevatedUntil: until } = await tx.stepUp({ method: "phone", code: "phone-13900000001#x" });
    assert.equal(await elevatedUntil(tx), until);
    assert.deepEqual(await withdraw(tx), { withdrawn: true });
  });
});
