/**
 * Web login in a real Chromium (Debian's, driven by playwright-core): the example page
 * (examples/web-login) on its own origin, with the client's web entry compiled as the package
 * builds it, against a real tongxing whose WeChat is the fake's authorize page. Click 微信登录 →
 * tongxing → WeChat → tongxing's callback → the page, which trades the ticket and shows the user
 * from GET /me; the ticket leaves the address bar and works once; a reload keeps the user; a
 * revoked token asks the page before any redirect; a refusal at WeChat and a returnTo that is not
 * allowed log nobody in. test/webLogin.test.ts checks the same routes hop by hop.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { freePort } from "./failure/services.js";
import { APPID, SECRET, type Stack, startStack } from "./support.js";
import { chromiumTool } from "./tools.js";

const exec = promisify(execFile);
const tool = chromiumTool;
const OA = "wxoa00000000000001";

let stack: Stack;
let dir: string;
/** The example page on an origin WEB_RETURN_URLS and CORS_ORIGINS list, and on one they don't. */
let site: { server: Server; origin: string };
let stray: { server: Server; origin: string };
let browser: Browser | undefined;

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

/** Serves `root`'s files (index.html for /) on 127.0.0.1, as any static host would. */
async function serveStatic(root: string): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    const file = path.join(root, pathname.endsWith("/") ? `${pathname}index.html` : pathname);
    const type = TYPES[path.extname(file)];
    if (!file.startsWith(root + path.sep) || !type) return res.writeHead(404).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

before(async () => {
  if (tool.skip) return;
  dir = await mkdtemp(path.join(tmpdir(), "tongxing-web-login-"));
  await cp("examples/web-login", dir, { recursive: true });
  // The client compiled as `npm run example:web` puts it in the example's lib/.
  await exec(
    process.execPath,
    ["node_modules/typescript/bin/tsc", "-p", "client/tsconfig.json", "--outDir", path.join(dir, "lib/tongxing")],
    {
      timeout: 120_000,
    },
  );
  site = await serveStatic(dir);
  stray = await serveStatic(dir);
  const port = await freePort();
  const apps = [
    { platform: "wechat", appid: APPID, secret: SECRET },
    { platform: "wechat-oa", appid: OA, secret: "oa-secret" },
  ];
  stack = await startStack(
    (fake) => ({
      WECHAT_APPID: "",
      WECHAT_SECRET: "",
      APPS: JSON.stringify(apps),
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      WEB_RETURN_URLS: `${site.origin}/`,
      CORS_ORIGINS: site.origin,
      WECHAT_OPEN_BASE: fake.baseUrl,
      ADMIN_TOKEN: "a".repeat(40),
    }),
    { moreApps: [{ appid: OA, secret: "oa-secret" }] },
  );
  await writeFile(
    path.join(dir, "config.js"),
    `export const BASE_URL = ${JSON.stringify(stack.url)};\nexport const APPID = ${JSON.stringify(OA)};\n`,
  );
});
after(async () => {
  await browser?.close();
  await stack?.stop();
  for (const s of [site, stray]) s?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh browser context (its own localStorage and cookies) and a page that records its script errors. */
async function open(): Promise<{ page: Page; problems: string[] }> {
  assert.ok(tool.path, tool.missing);
  browser ??= await chromium.launch({
    executablePath: tool.path,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--no-first-run"],
  });
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    // A revoked token's 401 and the refused returnTo's 400 are the tests' own doing.
    if (m.type() === "error" && !/status of 40[01]/.test(m.text())) problems.push(`${m.text()} ${m.location().url}`);
  });
  page.on("pageerror", (e) => problems.push(e.message));
  return { page, problems };
}

const shown = (page: Page, id: string) => page.locator(`#${id}`).waitFor({ state: "visible", timeout: 15_000 });
const storedToken = (page: Page) => page.evaluate(() => localStorage.getItem("tongxing.token"));
const authorizeCount = () => stack.fake.callCount("/connect/oauth2/authorize");

/** Clicks 微信登录 on a fresh page; returns the page back from the login and the callback's Location. */
async function logIn(person: string): Promise<{ page: Page; problems: string[]; callbackLocation: string }> {
  stack.fake.oauth.behaviour.webPerson = person;
  const { page, problems } = await open();
  let callbackLocation = "";
  page.on("response", (res) => {
    if (new URL(res.url()).pathname === `/auth/web/${OA}/callback`) callbackLocation = res.headers().location ?? "";
  });
  await page.goto(`${site.origin}/`);
  await shown(page, "login");
  assert.equal(await storedToken(page), null);
  await page.click("#login");
  await shown(page, "user");
  return { page, problems, callbackLocation };
}

test("微信登录 → tongxing → WeChat → the page: the user from /me, no ticket left in the address bar, kept on reload; the ticket works once", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  stack.fake.oauth.behaviour.nickname = "网页用户 🌐";
  const { page, problems, callbackLocation } = await logIn("browser-ann");
  stack.fake.oauth.behaviour.nickname = undefined;

  const ticket = /#tongxing_ticket=([A-Za-z0-9_-]{43})$/.exec(callbackLocation)?.[1] ?? "";
  assert.ok(ticket, `the callback sent the page a ticket: ${callbackLocation}`);
  assert.equal(page.url(), `${site.origin}/`, "the fragment is gone from the address bar");
  const token = (await storedToken(page)) ?? "";
  const me = await stack.request("GET", "/me", { token });
  assert.equal(me.status, 200, me.text);
  assert.equal(await page.locator("#user-id").innerText(), String(me.body.id));
  assert.equal(await page.locator("#user-nickname").innerText(), "网页用户 🌐");
  assert.equal((await stack.request("GET", "/auth/session", { token })).body.platform, "wechat-oa");

  // A reload: the stored token, no new login.
  const authorizes = authorizeCount();
  await page.reload();
  await shown(page, "user");
  assert.equal(await page.locator("#user-id").innerText(), String(me.body.id));
  assert.equal(authorizeCount(), authorizes);

  // The ticket was spent: tongxing refuses it, and the URL with it opened in another tab (a
  // shared link, the history) says so and keeps whoever is logged in.
  const again = await stack.request("POST", "/auth/web/ticket", { body: { ticket }, headers: { origin: site.origin } });
  assert.deepEqual([again.status, again.body.error.code], [401, "TICKET_INVALID"]);
  const tab = await page.context().newPage();
  await tab.goto(`${site.origin}/#tongxing_ticket=${ticket}`);
  await shown(tab, "user");
  assert.match(await tab.locator("#status").innerText(), /TICKET_INVALID/);
  assert.equal(tab.url(), `${site.origin}/`);
  assert.equal(await storedToken(tab), token);
  await tab.close();

  // Logout: the page forgets the token, and tongxing ends the session.
  await page.click("#logout");
  await shown(page, "login");
  assert.equal(await storedToken(page), null);
  assert.equal((await stack.request("GET", "/me", { token })).status, 401);
  assert.deepEqual(problems, []);
});

test("a revoked token: the page is asked (onLoginRequired) and shows the login button; nothing redirects by itself", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  const { page, problems } = await logIn("browser-bob");
  const token = (await storedToken(page)) ?? "";
  assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);

  const authorizes = authorizeCount();
  await page.reload();
  await shown(page, "login");
  assert.match(await page.locator("#status").innerText(), /登录已失效/);
  assert.equal(page.url(), `${site.origin}/`);
  assert.equal(authorizeCount(), authorizes, "no redirect to WeChat");
  assert.equal(await storedToken(page), null, "the dead token is forgotten");
  assert.deepEqual(problems, []);
});

test("a banned user: the page is told why (reason, bannedUntil, banReason) and nothing redirects", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  const { page, problems } = await logIn("browser-carol");
  const id = await page.locator("#user-id").innerText();
  const ban = await stack.request("POST", `/admin/users/${id}/ban`, {
    headers: { authorization: `Bearer ${"a".repeat(40)}` },
    body: { reason: "刷单", until: new Date(Date.now() + 3_600_000).toISOString() },
  });
  assert.equal(ban.status, 200, ban.text);

  const authorizes = authorizeCount();
  await page.reload();
  await shown(page, "login");
  assert.match(await page.locator("#status").innerText(), /^账号已被封禁至 .*\d.*：刷单$/);
  assert.equal(page.url(), `${site.origin}/`);
  assert.equal(authorizeCount(), authorizes, "no redirect to WeChat");
  assert.equal(await storedToken(page), null);
  assert.deepEqual(problems, []);
});

test("the user refuses at WeChat: the page shows ACCESS_DENIED, nobody is logged in", { timeout: 120_000, skip: tool.skip }, async () => {
  const { page, problems } = await open();
  await page.goto(`${site.origin}/`);
  await shown(page, "login");
  stack.fake.oauth.behaviour.denyNext = true;
  await page.click("#login");
  await page.locator("#status", { hasText: "ACCESS_DENIED" }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator("#login").isVisible(), true);
  assert.equal(page.url(), `${site.origin}/`);
  assert.equal(await storedToken(page), null);
  assert.deepEqual(problems, []);
});

test("a page whose returnTo is not allowed: tongxing answers 400 RETURN_URL_NOT_ALLOWED, WeChat is never reached", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  const { page } = await open();
  await page.goto(`${stray.origin}/`);
  await shown(page, "login");
  const authorizes = authorizeCount();
  const [answer] = await Promise.all([
    page.waitForResponse((res) => new URL(res.url()).pathname.endsWith("/authorize")),
    page.click("#login"),
  ]);
  assert.equal(answer.status(), 400);
  assert.equal(((await answer.json()) as { error: { code: string } }).error.code, "RETURN_URL_NOT_ALLOWED");
  assert.ok(page.url().startsWith(`${stack.url}/auth/web/${OA}/authorize?returnTo=`));
  assert.equal(authorizeCount(), authorizes);
  assert.deepEqual(await stack.redis.keys(`${stack.prefix}web:state:*`), []);
  await page.goto(`${stray.origin}/`);
  await shown(page, "login");
  assert.equal(await storedToken(page), null);
});
