/**
 * The example mini-program (examples/miniprogram) runs: its pages, loaded with simulated App,
 * Page, getApp and wx globals, log in against a real tongxing, edit the nickname and log out.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { codeFor, type Stack, startStack } from "./support.js";

const exec = promisify(execFile);
let stack: Stack;
let dir: string;
before(async () => {
  stack = await startStack();
  dir = await mkdtemp(path.join(tmpdir(), "tongxing-example-"));
  await cp("examples/miniprogram", dir, { recursive: true });
  // The SDK as a user gets it: `npm pack ./client` (prepack builds it), unpacked into the
  // example's lib/ as `npm run example:sdk` puts it there.
  const { stdout } = await exec("npm", ["pack", "./client", "--pack-destination", dir, "--json"], { timeout: 120_000 });
  const [packed] = JSON.parse(stdout) as { filename: string; name: string; files: { path: string }[] }[];
  assert.equal(packed?.name, "tongxing-miniprogram");
  for (const f of ["dist/index.js", "dist/index.d.ts", "dist/web.js", "dist/web.d.ts", "package.json", "LICENSE", "README.md"]) {
    assert.ok(
      packed?.files.some((x) => x.path === f),
      `${f} in the tarball`,
    );
  }
  await exec("tar", ["-xzf", path.join(dir, packed?.filename ?? ""), "-C", dir]);
  await cp(path.join(dir, "package/dist"), path.join(dir, "lib/tongxing"), { recursive: true });
  await writeFile(path.join(dir, "config.js"), `export const BASE_URL = ${JSON.stringify(stack.url)};\n`);
  await writeFile(path.join(dir, "package.json"), '{"type":"module"}');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await stack.stop();
});

test("login page → profile page → save an emoji nickname → logout", async () => {
  const app = JSON.parse(await readFile(path.join(dir, "app.json"), "utf8")) as { pages: string[] };
  for (const page of app.pages) for (const ext of ["js", "wxml", "json"]) await readFile(path.join(dir, `${page}.${ext}`));

  const storage = new Map<string, unknown>();
  const redirects: string[] = [];
  const g = globalThis as Record<string, unknown>;
  let appInstance: Record<string, unknown> = {};
  const pages: Record<string, Record<string, any>> = {};
  let loading = "";
  g.wx = {
    login: ({ success }: { success: (r: { code: string }) => void }) => success({ code: codeFor("example") }),
    request(opts: {
      url: string;
      method: string;
      data?: unknown;
      header: Record<string, string>;
      success: (r: unknown) => void;
      fail: (e: unknown) => void;
    }) {
      fetch(opts.url, { method: opts.method, headers: opts.header, body: opts.data === undefined ? undefined : JSON.stringify(opts.data) })
        .then(async (res) => opts.success({ statusCode: res.status, data: await res.json().catch(() => ""), header: {} }))
        .catch((err: Error) => opts.fail({ errMsg: err.message }));
    },
    getStorageSync: (k: string) => storage.get(k) ?? "",
    setStorageSync: (k: string, v: unknown) => storage.set(k, v),
    removeStorageSync: (k: string) => storage.delete(k),
    redirectTo: ({ url }: { url: string }) => redirects.push(url),
  };
  g.App = (def: Record<string, unknown>) => {
    appInstance = def;
  };
  g.getApp = () => appInstance;
  g.Page = (def: Record<string, any>) => {
    const page: Record<string, any> = { ...def, data: { ...def.data } };
    page.setData = (patch: Record<string, unknown>) => Object.assign(page.data, patch);
    pages[loading] = page;
  };
  try {
    await import(pathToFileURL(path.join(dir, "app.js")).href);
    for (const p of app.pages) {
      loading = p;
      await import(pathToFileURL(path.join(dir, `${p}.js`)).href);
    }
    const login = pages["pages/login/login"] as Record<string, any>;
    const profile = pages["pages/profile/profile"] as Record<string, any>;
    await login.onLogin();
    assert.deepEqual(redirects, ["/pages/profile/profile"], login.data.error);
    await profile.onShow();
    assert.equal(typeof profile.data.user.id, "number");
    profile.onNicknameInput({ detail: { value: "示例 🐼" } });
    await profile.onSave();
    assert.equal(profile.data.message, "已保存");
    const token = storage.get("tongxing.token") as string;
    assert.equal((await stack.request("GET", "/me", { token })).body.nickname, "示例 🐼");
    await profile.onLogout();
    assert.equal(storage.has("tongxing.token"), false);
    assert.equal((await stack.request("GET", "/me", { token })).status, 401);
  } finally {
    for (const k of ["wx", "App", "getApp", "Page"]) delete g[k];
  }
});
