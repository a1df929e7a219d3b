/**
 * The admin console in a real Chromium (Debian's, driven by playwright-core) against
 * a real server, Redis and PostgreSQL: sign in, find a user by unionid, see their two sessions,
 * revoke one (its token is 401 on the next request), ban with a reason and find it in the audit
 * page, a wrong token refused with nothing stored; the home page's user list, nickname search and
 * recent logins, app names beside appids, the charts' labelled axes; with apps of two platforms,
 * each identity's and session's platform and the users list's platform filter; a ban with an
 * end and restrictions added and lifted (ends picked in the operator's time zone, sent in UTC),
 * every audit action by its label; strict CSP, both languages. Screenshots of each page go to
 * test/output/ (gitignored).
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { after, before, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { AUDIT_ACTIONS } from "../src/audit.js";
import { startFakePlatforms } from "../src/platforms/fakeServer.js";
import { CONSOLE_CSP } from "../src/routes/admin/console.js";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { APPID, codeFor, SECRET, type Stack, startStack } from "./support.js";
import { chromiumTool } from "./tools.js";

const tool = chromiumTool;
const OUTPUT = "test/output";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN";

let stack: Stack;
let browser: Browser | undefined;
before(async () => {
  if (tool.skip) return;
  // The app has a name, which the console shows beside its appid.
  stack = await startStack({
    ADMIN_TOKEN,
    WECHAT_APPID: "",
    WECHAT_SECRET: "",
    WECHAT_APPS: JSON.stringify([{ appid: APPID, secret: SECRET, name: "Tongxing Shop" }]),
  });
  await mkdir(OUTPUT, { recursive: true });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function open(locale: string, timezoneId?: string): Promise<{ page: Page; problems: string[] }> {
  assert.ok(tool.path, tool.missing);
  browser ??= await chromium.launch({
    executablePath: tool.path,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--no-first-run"],
  });
  const context = await browser.newContext({ locale, viewport: { width: 1200, height: 800 }, ...(timezoneId && { timezoneId }) });
  const page = await context.newPage();
  // A CSP violation, a failed script or any console error is a failure of the page.
  const problems: string[] = [];
  page.on("console", (m) => {
    // The wrong token's 401 is the test's own doing; anything else (a CSP violation, a 404) is not.
    if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  return { page, problems };
}

test("an operator signs in, finds a user, revokes a session, bans them and reads it in the audit trail", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  // One person, two sessions from an iPhone.
  const user = "console-user";
  const code = codeFor(user);
  const first = await stack.request("POST", "/auth/login", { body: { code }, headers: { "user-agent": IPHONE } });
  const second = await stack.request("POST", "/auth/login", { body: { code: codeFor(user) }, headers: { "user-agent": IPHONE } });
  assert.equal(first.status, 200, first.text);
  const userId = first.body.user.id as number;

  const { page, problems } = await open("en-US");
  const res = await page.goto(`${stack.url}/admin/console/`);
  assert.equal(res?.status(), 200);
  assert.equal(res?.headers()["content-security-policy"], CONSOLE_CSP);
  assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);

  // A wrong token is refused, and nothing is stored.
  await page.fill("#admin-token", "not-the-admin-token-0123456789abcdef");
  await page.click("#signin");
  await page.waitForSelector("#signin-error");
  assert.equal(await page.evaluate("sessionStorage.length + localStorage.length + document.cookie.length"), 0);
  await page.screenshot({ path: `${OUTPUT}/console-signin.png` });

  await page.fill("#admin-token", ADMIN_TOKEN);
  await page.click("#signin");
  await page.waitForSelector("#search-value");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("tongxing.adminToken")), ADMIN_TOKEN);
  assert.ok(!page.url().includes(ADMIN_TOKEN), "never in the URL");
  assert.equal(await page.evaluate("localStorage.length + document.cookie.length"), 0, "nor in localStorage or a cookie");

  // Find by unionid → the user's page with both sessions, the User-Agent as a person reads it.
  await page.selectOption("#search-by", "unionid");
  await page.fill("#search-value", stack.fake.unionidFor(code));
  await page.click("#search");
  await page.waitForSelector("#sessions tbody tr");
  assert.equal(await page.locator("#sessions tbody tr").count(), 2);
  assert.equal(await page.locator("#sessions tbody tr").first().locator("td").nth(5).innerText(), "WeChat 8.0.49 on iPhone, iOS 17.5");
  assert.ok((await page.locator("#identities").innerText()).includes(stack.fake.openidFor(code)), "the admin sees the openid");
  await page.screenshot({ path: `${OUTPUT}/console-user.png`, fullPage: true });

  // Revoke one: that token is refused on the next request, the other lives on.
  const revokedId = await page.locator("#sessions tbody tr").first().getAttribute("data-session");
  await page.locator("#sessions tbody tr").first().locator("button.revoke").click();
  // (No waitForFunction: the console's CSP forbids the eval it uses, as it should.)
  await page.locator("#sessions tbody tr").nth(1).waitFor({ state: "detached" });
  const tokens = [first.body.token as string, second.body.token as string];
  const statuses = await Promise.all(tokens.map(async (token) => (await stack.request("GET", "/auth/session", { token })).status));
  assert.deepEqual(statuses.sort(), [200, 401]);
  assert.ok(revokedId?.startsWith(`${userId}.`));

  // Ban with a reason; it shows in the audit page, as the admin API's action.
  await page.fill("#ban-reason", "chargeback fraud");
  await page.click("#ban");
  await page.waitForSelector("#unban");
  await stack.running.deps.audit.flush();
  await page.click('header a[href="#/audit"]');
  await page.fill("#audit-user", String(userId));
  await page.selectOption("#audit-action", "ban");
  await page.click("#audit-filter");
  await page.waitForSelector('#audit tr[data-action="ban"]');
  const row = await page.locator('#audit tr[data-action="ban"]').first().innerText();
  assert.match(row, /admin_api/);
  assert.match(row, /chargeback fraud/);
  await page.screenshot({ path: `${OUTPUT}/console-audit.png`, fullPage: true });

  // The overview: the last hour as three charts, these logins among them.
  await page.click('header a[href="#/overview"]');
  await page.waitForSelector("#chart-checks");
  assert.equal((await page.locator("#chart-logins polyline").count()) >= 1, true);
  assert.ok((await page.locator("#chart-logins").innerHTML()).includes("new_user"));
  assert.ok((await page.locator("#chart-checks").innerHTML()).includes("valid"));
  await page.screenshot({ path: `${OUTPUT}/console-overview.png`, fullPage: true });

  // Chinese, switchable; sign-out forgets the token.
  await page.click("#lang");
  assert.equal(await page.locator("header h1").innerText(), "通行 管理台");
  await page.screenshot({ path: `${OUTPUT}/console-audit-zh.png`, fullPage: true });
  await page.click("#signout");
  await page.waitForSelector("#admin-token");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(problems, [], "no CSP violation or script error on any page");
});

test("the home page lists users newest first, finds them by nickname and shows recent logins; apps by name; charts label their axes", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  const made: number[] = [];
  for (const nickname of ["Meiling Wu", "Zhou Mei"]) {
    const login = await stack.request("POST", "/auth/login", { body: { code: codeFor(`console-${nickname}`) } });
    assert.equal((await stack.request("PATCH", "/me", { token: login.body.token, body: { nickname } })).status, 200);
    made.push(login.body.user.id as number);
  }
  await stack.running.deps.audit.flush();
  const { page, problems } = await open("en-US");
  await page.goto(`${stack.url}/admin/console/`);
  await page.fill("#admin-token", ADMIN_TOKEN);
  await page.click("#signin");

  // Every user, newest first; the newest logins, with the app's name.
  await page.waitForSelector("#users tbody tr");
  assert.equal(await page.locator("#users tbody tr").first().getAttribute("data-user"), String(made[1]));
  await page.waitForSelector("#recent-logins tbody tr");
  const recent = page.locator("#recent-logins tbody tr").first();
  assert.equal(await recent.getAttribute("data-user"), String(made[1]));
  assert.match(await recent.innerText(), /Tongxing Shop/);
  await page.screenshot({ path: `${OUTPUT}/console-home.png`, fullPage: true });

  // By nickname: a case-insensitive prefix.
  await page.selectOption("#search-by", "nickname");
  await page.fill("#search-value", "mei");
  await page.click("#search");
  await page.locator(`#users tbody tr[data-user="${made[1]}"]`).waitFor({ state: "detached" });
  assert.equal(await page.locator("#users tbody tr").count(), 1);
  assert.equal(await page.locator("#users tbody tr").first().getAttribute("data-user"), String(made[0]));

  // The app's name wherever its appid is shown: identities, sessions, the audit trail.
  await page.locator(`#users a[href="#/users/${made[0]}"]`).click();
  await page.waitForSelector("#sessions tbody tr");
  assert.match(await page.locator("#identities").innerText(), /Tongxing Shop/);
  assert.match(await page.locator("#sessions").innerText(), /Tongxing Shop/);
  await page.click('header a[href="#/audit"]');
  await page.fill("#audit-user", String(made[0]));
  await page.click("#audit-filter");
  await page.waitForSelector('#audit tr[data-action="login"]');
  assert.match(await page.locator('#audit tr[data-action="login"]').first().innerText(), /Tongxing Shop/);

  // The charts' time axis: minute ticks (HH:MM) and a title on both axes.
  await page.click('header a[href="#/overview"]');
  await page.waitForSelector("#chart-logins");
  const ticks = await page.locator("#chart-logins .x-tick").allTextContents();
  assert.ok(ticks.length >= 3, ticks.join());
  for (const tick of ticks) assert.match(tick, /^\d{2}:\d{2}$/);
  assert.match(await page.locator("#chart-logins .x-title").innerHTML(), /Time/);
  assert.match(await page.locator("#chart-logins .y-title").innerHTML(), /per minute/);
  await page.screenshot({ path: `${OUTPUT}/console-overview-axes.png`, fullPage: true });
  assert.deepEqual(problems, []);
});

test("a browser in Chinese gets the Chinese console; a token revoked meanwhile signs the console out", {
  timeout: 60_000,
  skip: tool.skip,
}, async () => {
  const { page } = await open("zh-CN");
  await page.goto(`${stack.url}/admin/console/`);
  await page.waitForSelector("#admin-token");
  assert.equal(await page.locator("header h1").innerText(), "通行 管理台");
  await page.evaluate((t) => sessionStorage.setItem("tongxing.adminToken", t), `${ADMIN_TOKEN}-stale`);
  await page.goto(`${stack.url}/admin/console/#/audit`);
  await page.reload();
  await page.waitForSelector("#admin-token");
  await page.waitForSelector(".notice.error");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, "a 401 clears the token");
});

test("deleting an account takes the typed confirmation, then the user shows as deleted and their token is refused", {
  timeout: 60_000,
  skip: tool.skip,
}, async () => {
  const login = await stack.request("POST", "/auth/login", { body: { code: codeFor("console-delete") } });
  const userId = login.body.user.id as number;
  const { page, problems } = await open("en-US");
  await page.goto(`${stack.url}/admin/console/`);
  await page.fill("#admin-token", ADMIN_TOKEN);
  await page.click("#signin");
  await page.waitForSelector("#search-value");
  await page.fill("#search-value", String(userId));
  await page.click("#search");
  await page.waitForSelector("#delete-confirm");
  await page.fill("#delete-confirm", "DELETE");
  assert.equal(await page.isDisabled("#delete"), true, "not without the exact confirmation");
  await page.fill("#delete-confirm", `DELETE ${userId}`);
  await page.click("#delete");
  await page.waitForSelector(".badge.deleted");
  assert.equal((await stack.request("GET", "/auth/session", { token: login.body.token })).status, 401);
  assert.deepEqual(problems, []);
});

test("with a WeChat and a Douyin app: each identity and session shows its platform; the users list filters by platform", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  const douyin = { platform: "douyin", appid: "tt0000000000000001", secret: "douyin-secret-1" } as const;
  const fakes = await startFakePlatforms({ apps: [douyin] });
  const apps = [
    { platform: "wechat", appid: APPID, secret: SECRET, name: "Tongxing Shop" },
    { ...douyin, name: "Tongxing Douyin" },
  ];
  const two = await startStack({
    ADMIN_TOKEN,
    WECHAT_APPID: "",
    WECHAT_SECRET: "",
    APPS: JSON.stringify(apps),
    DOUYIN_API_BASE: fakes.apiBase("douyin"),
  }).catch(async (err) => {
    await fakes.close();
    throw err;
  });
  try {
    const loginFrom = async (appid: string) => {
      const res = await two.request("POST", "/auth/login", { body: { code: codeFor("console-platform"), appid } });
      assert.equal(res.status, 200, res.text);
      return res.body.user.id as number;
    };
    const onDouyin = await loginFrom(douyin.appid);
    const onWechat = await loginFrom(APPID);
    const { page, problems } = await open("en-US");
    await page.goto(`${two.url}/admin/console/`);
    await page.fill("#admin-token", ADMIN_TOKEN);
    await page.click("#signin");
    await page.waitForSelector(`#users tbody tr[data-user="${onWechat}"]`);
    assert.equal(await page.locator("#users tbody tr").count(), 2);

    // "All" and the platforms of the configured apps; one of them narrows the list to its users.
    const options = page.locator("#users-platform option");
    await options.last().and(page.locator('[value="douyin"]')).waitFor({ state: "attached" });
    assert.deepEqual(await Promise.all((await options.all()).map((o) => o.getAttribute("value"))), ["", "wechat", "douyin"]);
    assert.deepEqual(await options.allInnerTexts(), ["All platforms", "WeChat", "Douyin"]);
    await page.selectOption("#users-platform", "douyin");
    await page.locator(`#users tbody tr[data-user="${onWechat}"]`).waitFor({ state: "detached" });
    assert.equal(await page.locator("#users tbody tr").count(), 1);
    assert.equal(await page.locator("#users tbody tr").first().getAttribute("data-user"), String(onDouyin));
    await page.screenshot({ path: `${OUTPUT}/console-platform-filter.png`, fullPage: true });
    await page.selectOption("#users-platform", "");
    await page.waitForSelector(`#users tbody tr[data-user="${onWechat}"]`);

    // The user's page: the platform beside the app of each identity and each session.
    await page.locator(`#users a[href="#/users/${onDouyin}"]`).click();
    await page.waitForSelector("#sessions tbody tr");
    assert.equal(await page.locator("#identities tbody tr .platform").first().innerText(), "Douyin");
    assert.match(await page.locator("#identities tbody tr").first().innerText(), /Tongxing Douyin/);
    assert.equal(await page.locator("#sessions tbody tr .platform").first().innerText(), "Douyin");
    await page.screenshot({ path: `${OUTPUT}/console-user-platform.png`, fullPage: true });
    await page.click("#lang");
    assert.equal(await page.locator("#identities tbody tr .platform").first().innerText(), "抖音");
    assert.deepEqual(problems, []);
  } finally {
    await two.stop();
    await fakes.close();
  }
});

test("a ban with an end shows it; a restriction is added, listed and removed; the audit trail names them", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  const login = await stack.request("POST", "/auth/login", { body: { code: codeFor("console-restrict") } });
  const { token } = login.body;
  const userId = login.body.user.id as number;
  const restrictionsNow = async () => (await stack.request("GET", "/auth/session", { token })).body.restrictions;
  // The operator's clock is Beijing's: a datetime-local of 03:04 on 2 January is 19:04 UTC the day before.
  const local = "2099-01-02T03:04";
  const utc = "2099-01-01T19:04:00.000Z";
  const { page, problems } = await open("en-US", "Asia/Shanghai");
  await page.goto(`${stack.url}/admin/console/#/users/${userId}`);
  await page.fill("#admin-token", ADMIN_TOKEN);
  await page.click("#signin");
  await page.waitForSelector("#restriction-name");

  // Add one: listed with its reason and end, and the session carries it on the next request.
  await page.fill("#restriction-name", "comment");
  await page.fill("#restriction-reason", "spam");
  await page.fill("#restriction-until", local);
  await page.click("#restrict");
  const row = page.locator('#restrictions tr[data-restriction="comment"]');
  await row.waitFor();
  assert.match(await row.innerText(), /comment\s+spam\s+1\/2\/2099, 3:04:00 AM/);
  assert.deepEqual(await restrictionsNow(), ["comment"]);
  assert.equal(
    (await stack.request("GET", `/admin/users/${userId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.restrictions[0]
      .until,
    utc,
  );
  await page.screenshot({ path: `${OUTPUT}/console-restrictions.png`, fullPage: true });

  // A name the API refuses is shown as its error, and nothing is added.
  await page.fill("#restriction-name", "No Spaces");
  await page.click("#restrict");
  await page.waitForSelector("#notice.error");
  assert.match(await page.locator("#notice").innerText(), /INVALID_REQUEST: name/);
  assert.equal(await page.locator("#restrictions tbody tr").count(), 1);

  // Remove it.
  await row.locator("button.unrestrict").click();
  await row.waitFor({ state: "detached" });
  assert.deepEqual(await restrictionsNow(), []);

  // A ban until a time: the ban line says until when, in the operator's clock.
  await page.fill("#ban-reason", "spam");
  await page.fill("#ban-until", local);
  await page.click("#ban");
  await page.waitForSelector("#unban");
  assert.match(await page.locator("#ban-state").innerText(), /until 1\/2\/2099, 3:04:00 AM/);
  assert.equal(
    (await stack.request("GET", `/admin/users/${userId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.bannedUntil,
    utc,
  );
  assert.equal((await stack.request("GET", "/auth/session", { token })).status, 401);

  // The audit trail: the new actions offered in the filter and shown by their labels.
  await stack.running.deps.audit.flush();
  await page.click('header a[href="#/audit"]');
  await page.fill("#audit-user", String(userId));
  await page.selectOption("#audit-action", "restriction_added");
  await page.click("#audit-filter");
  const added = page.locator('#audit tr[data-action="restriction_added"]');
  await added.waitFor();
  assert.match(await added.innerText(), new RegExp(`Restriction added\\s+admin_api.*comment until ${utc}: spam`, "s"));
  await page.selectOption("#audit-action", "");
  await page.click("#audit-filter");
  await page.waitForSelector('#audit tr[data-action="restriction_removed"]');
  assert.match(await page.locator('#audit tr[data-action="restriction_removed"]').innerText(), /Restriction removed/);
  assert.match(await page.locator('#audit tr[data-action="ban"]').innerText(), /Banned/);
  assert.ok((await page.locator("#audit-action option").allInnerTexts()).includes("Step-up failed"));
  const offered = await Promise.all((await page.locator("#audit-action option").all()).map((o) => o.getAttribute("value")));
  assert.deepEqual(offered.filter(Boolean).sort(), [...AUDIT_ACTIONS].sort(), "a label for every action the trail records");
  await page.click("#lang");
  assert.match(await page.locator('#audit tr[data-action="restriction_removed"]').innerText(), /解除限制/);
  await page.screenshot({ path: `${OUTPUT}/console-audit-restrictions.png`, fullPage: true });
  // The refused name's 400 is the test's own doing; nothing else is.
  assert.deepEqual(problems, ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
});

test("without ADMIN_TOKEN the console does not exist", { skip: tool.skip }, async () => {
  const plain = await startStack();
  try {
    for (const path of ["/admin/console/", "/admin/console/console.js"]) assert.equal((await plain.request("GET", path)).status, 404, path);
  } finally {
    await plain.stop();
  }
});
