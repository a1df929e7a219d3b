/**
 * The SDK on every runtime but WeChat's (which test/client.test.ts runs against a real tongxing):
 * each runtime's stand-in (fixtures/fakeRuntimes.ts) makes real HTTP calls to a small server
 * answering like tongxing's login routes (fixtures/fakeLoginServer.ts), since this tongxing does
 * not exchange other platforms' codes yet. For each runtime: the code comes from its own call
 * with its own parameters, requests go through its own request function with its field names,
 * the appid is sent, the token lands in its storage, and a refused code is retried once.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { type ClientOptions, createClient, TongxingError } from "../client/src/index.js";
import { type LoginServer, startLoginServer } from "./fixtures/fakeLoginServer.js";
import { alipayFake, codesFrom, type Fake, taroFake, uniFake, wxShapedFake } from "./fixtures/fakeRuntimes.js";

const TIMEOUT = 4000;
const GLOBALS = ["uni", "tt", "my", "qq", "swan", "ks", "wx"] as const;
const g = globalThis as Record<string, unknown>;

let server: LoginServer;
before(async () => {
  server = await startLoginServer();
});
after(() => server.close());
afterEach(() => {
  for (const name of GLOBALS) delete g[name];
});

interface Case {
  /** Names the case and prefixes its codes and appid. */
  key: string;
  make(codes: () => string): Fake;
  /** The global it is found by; unset: passed as `runtime`. */
  global?: (typeof GLOBALS)[number];
  runtime?: (fake: Fake) => ClientOptions["runtime"];
  loginFn: string;
  /** The login call's parameters, callbacks aside. */
  loginParams: Record<string, unknown>;
  /** Where its request takes the headers. */
  headerField: "header" | "headers";
}

const cases: Case[] = [
  {
    key: "tt",
    global: "tt",
    make: (c) => wxShapedFake("login", c, { loginAnswer: { anonymousCode: "anon-1", isLogin: true } }),
    loginFn: "login",
    loginParams: {},
    headerField: "header",
  },
  {
    key: "my",
    global: "my",
    make: (c) => alipayFake(c),
    loginFn: "getAuthCode",
    loginParams: { scopes: "auth_base" },
    headerField: "headers",
  },
  {
    key: "my-http-errors-in-fail",
    global: "my",
    make: (c) => alipayFake(c, { httpErrorsFail: true }),
    loginFn: "getAuthCode",
    loginParams: { scopes: "auth_base" },
    headerField: "headers",
  },
  {
    key: "qq",
    global: "qq",
    make: (c) => wxShapedFake("login", c),
    loginFn: "login",
    loginParams: { timeout: TIMEOUT },
    headerField: "header",
  },
  {
    key: "swan",
    global: "swan",
    make: (c) => wxShapedFake("getLoginCode", c),
    loginFn: "getLoginCode",
    loginParams: {},
    headerField: "header",
  },
  { key: "ks", global: "ks", make: (c) => wxShapedFake("login", c), loginFn: "login", loginParams: {}, headerField: "header" },
  {
    key: "uni",
    global: "uni",
    make: (c) => uniFake(c, ["toutiao"]),
    loginFn: "login",
    loginParams: { provider: "toutiao", timeout: TIMEOUT },
    headerField: "header",
  },
  {
    key: "taro",
    runtime: (f) => ({ taro: f.api }),
    make: (c) => taroFake(c),
    loginFn: "login",
    loginParams: { timeout: TIMEOUT },
    headerField: "header",
  },
];

/** A client on the case's runtime: installed as its global (and found), or passed. */
function clientOn(c: Case, fake: Fake, options: Partial<ClientOptions> = {}) {
  if (c.global) g[c.global] = fake.api;
  return createClient({ baseUrl: server.url, timeout: TIMEOUT, ...(c.runtime && { runtime: c.runtime(fake) }), ...options });
}

const callsOf = (fake: Fake, fn: string) => fake.calls.filter((c) => c.fn === fn);
const loginCodesSent = (prefix: string) => server.logins().flatMap((b) => (b.code?.includes(prefix) ? [b.code] : []));

for (const c of cases) {
  describe(`runtime ${c.key}`, () => {
    test("the code from its own login call, the login and the next request through its request function, the appid sent, the token in its storage", async () => {
      const code = `${c.key}-first`;
      const fake = c.make(codesFrom(code));
      const tx = clientOn(c, fake, { appid: `${c.key}-app` });
      const me = await tx.me();
      assert.equal(typeof me.id, "number");

      assert.deepEqual(
        callsOf(fake, c.loginFn).map((call) => call.params),
        [c.loginParams],
      );
      assert.deepEqual(
        server.logins().find((b) => b.code === code),
        { code, appid: `${c.key}-app` },
      );

      const [loginRequest, meRequest, ...more] = callsOf(fake, "request").map((call) => call.params);
      assert.equal(more.length, 0);
      assert.equal(loginRequest?.method, "POST");
      assert.deepEqual(loginRequest?.data, { code, appid: `${c.key}-app` });
      const headersOf = (params: Record<string, unknown> | undefined) => params?.[c.headerField] as Record<string, string> | undefined;
      assert.equal(headersOf(loginRequest)?.["content-type"], "application/json");
      const other = c.headerField === "header" ? "headers" : "header";
      assert.equal(loginRequest?.[other], undefined, `no ${other} on this runtime`);

      const token = fake.storage.get("tongxing.token");
      assert.match(String(token), /^1\.[A-Za-z0-9_-]{32}$/);
      assert.equal(tx.getToken(), token);
      assert.equal(headersOf(meRequest)?.["X-WX-Token"], token);
    });

    test("a refused code (401 LOGIN_CODE_INVALID) is retried once with a fresh code; refused twice, the error, no third code", async () => {
      const fake = c.make(codesFrom(`refused-${c.key}-1`, `${c.key}-then-good`));
      const { user } = await clientOn(c, fake).login();
      assert.equal(typeof user.id, "number");
      assert.equal(callsOf(fake, c.loginFn).length, 2);
      assert.deepEqual(loginCodesSent(`${c.key}-`).slice(-2), [`refused-${c.key}-1`, `${c.key}-then-good`]);

      for (const name of GLOBALS) delete g[name];
      const refusing = c.make(codesFrom(`refused-${c.key}-a`, `refused-${c.key}-b`, `refused-${c.key}-c`));
      await assert.rejects(
        clientOn(c, refusing).login(),
        (err: unknown) => err instanceof TongxingError && err.code === "LOGIN_CODE_INVALID" && err.status === 401,
      );
      assert.equal(callsOf(refusing, c.loginFn).length, 2);
      assert.equal(refusing.storage.has("tongxing.token"), false);
    });
  });
}

describe("which runtime", () => {
  test("detection order: an explicit runtime (or the wx option), then uni, then tt, my, qq, swan, ks, wx", async () => {
    const fakes: Record<(typeof GLOBALS)[number], Fake> = {
      uni: uniFake(codesFrom(), ["weixin"]),
      tt: wxShapedFake("login", codesFrom()),
      my: alipayFake(codesFrom()),
      qq: wxShapedFake("login", codesFrom()),
      swan: wxShapedFake("getLoginCode", codesFrom()),
      ks: wxShapedFake("login", codesFrom()),
      wx: wxShapedFake("login", codesFrom()),
    };
    for (const name of GLOBALS) g[name] = fakes[name].api;
    const loggedInThrough = async (options: Partial<ClientOptions> = {}) => {
      const before = Object.fromEntries(GLOBALS.map((n) => [n, fakes[n].calls.length]));
      await createClient({ baseUrl: server.url, ...options }).login();
      return GLOBALS.filter((n) => fakes[n].calls.length > (before[n] as number));
    };

    assert.deepEqual(await loggedInThrough({ runtime: { ks: fakes.ks.api } }), ["ks"]);
    assert.deepEqual(await loggedInThrough({ wx: fakes.wx.api }), ["wx"]);
    for (const name of GLOBALS) {
      assert.deepEqual(await loggedInThrough(), [name], `${name} is next`);
      delete g[name];
    }
    assert.throws(
      () => createClient({ baseUrl: server.url }),
      (err: unknown) => err instanceof TongxingError && err.code === "NO_RUNTIME" && err.status === 0,
    );
    assert.throws(
      () => createClient({ baseUrl: server.url, runtime: { swan: undefined as never } }),
      (err: unknown) => err instanceof TongxingError && err.code === "NO_RUNTIME",
    );
  });

  test("Baidu without swan.getLoginCode (an older base library): swan.login({ timeout })", async () => {
    const fake = wxShapedFake("login", codesFrom("swan-old-1"));
    await createClient({ baseUrl: server.url, runtime: { swan: fake.api }, timeout: TIMEOUT }).login();
    assert.deepEqual(fake.calls[0], { fn: "login", params: { timeout: TIMEOUT } });
  });

  test("uni.login's provider: the one passed, else the only one uni.getProvider reports, else none", async () => {
    const passed = uniFake(codesFrom(), ["toutiao"]);
    await createClient({ baseUrl: server.url, runtime: { uni: passed.api, provider: "weixin" } }).login();
    assert.deepEqual(
      passed.calls.map((c) => [c.fn, c.params.provider]),
      [
        ["login", "weixin"],
        ["request", undefined],
      ],
    );

    const several = uniFake(codesFrom(), ["weixin", "qq", "univerify"]);
    await createClient({ baseUrl: server.url, runtime: { uni: several.api } }).login();
    assert.deepEqual(callsOf(several, "getProvider")[0]?.params, { service: "oauth" });
    assert.equal("provider" in (callsOf(several, "login")[0]?.params ?? {}), false, "no guess among several");
  });

  test("a login answered 502 PLATFORM_UNAVAILABLE is retried once with a fresh code; twice, the 502 reaches the caller", async () => {
    const fake = wxShapedFake("login", codesFrom("down-tt-1", "tt-after-down"));
    await createClient({ baseUrl: server.url, runtime: { tt: fake.api } }).login();
    assert.deepEqual(loginCodesSent("tt-").slice(-2), ["down-tt-1", "tt-after-down"]);

    const failing = wxShapedFake("login", codesFrom("down-tt-a", "down-tt-b", "down-tt-c"));
    await assert.rejects(
      createClient({ baseUrl: server.url, runtime: { tt: failing.api } }).login(),
      (err: unknown) => err instanceof TongxingError && err.code === "PLATFORM_UNAVAILABLE" && err.status === 502,
    );
    assert.equal(callsOf(failing, "login").length, 2);
  });

  test("Alipay: a stored token that is refused logs in again; logout's empty 204 is fine (dataType text) and the token is forgotten", async () => {
    const fake = alipayFake(codesFrom("my-relogin-1"));
    fake.storage.set("tongxing.token", "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const tx = createClient({ baseUrl: server.url, runtime: { my: fake.api } });
    assert.equal(tx.getToken(), "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "read through getStorageSync({ key })");
    await tx.me();
    assert.equal(callsOf(fake, "getAuthCode").length, 1, "one re-login after 401 TOKEN_INVALID");
    const token = tx.getToken();
    assert.notEqual(token, "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

    await tx.logout();
    const logout = callsOf(fake, "request").at(-1)?.params;
    assert.equal(logout?.url, `${server.url}/auth/logout`);
    assert.equal(logout?.dataType, "text");
    assert.equal(server.requests.at(-1)?.headers["x-wx-token"], token, "the server got the logout");
    assert.equal(fake.storage.has("tongxing.token"), false);
    assert.equal(tx.getToken(), null);
  });

  test("a runtime whose request ignores timeout: the client's own deadline, TIMEOUT, and the task aborted", async () => {
    const fake = wxShapedFake("login", codesFrom(), { ignoresTimeout: true });
    const tx = createClient({ baseUrl: server.url, runtime: { ks: fake.api }, timeout: 300 });
    await tx.ensureLogin();
    const started = Date.now();
    await assert.rejects(
      tx.request({ url: "/slow" }),
      (err: unknown) => err instanceof TongxingError && err.code === "TIMEOUT" && err.status === 0,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 2000, `${elapsed} ms`);
    assert.equal(fake.aborts.count, 1);
  });
});
