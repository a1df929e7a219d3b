/**
 * The console's webhook page in a real Chromium (Debian's, driven by playwright-core) against a
 * real server and a real receiver: a delivery tongxing gave up on is listed with its last error,
 * its retry button sends it again (the receiver gets it, with the same webhook-id), and the page
 * reads in Chinese. Build the console first: node scripts/build.mjs --console-only.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { after, before, test } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { ADMIN_TOKEN } from "./lifecycleSuite.js";
import { type Stack, startStack } from "./support.js";
import { chromiumTool } from "./tools.js";
import { TestReceiver } from "./webhookReceiver.js";

const tool = chromiumTool;
const OUTPUT = "test/output";

let stack: Stack;
let receiver: TestReceiver;
let browser: Browser | undefined;

before(async () => {
  if (tool.skip) return;
  receiver = await new TestReceiver().up();
  stack = await startStack({
    ADMIN_TOKEN,
    WEBHOOKS: JSON.stringify([{ url: receiver.url, secret: receiver.secret, events: ["user.created"] }]),
    WEBHOOK_RETRY_SCHEDULE: "1",
    WEBHOOK_GIVE_UP_AFTER: "1",
  });
  await mkdir(OUTPUT, { recursive: true });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
  await receiver?.down();
});

test("the failed deliveries, each with a retry button that sends it again; in Chinese too", {
  timeout: 120_000,
  skip: tool.skip,
}, async () => {
  receiver.behaviour = "error";
  const userId = (await stack.login("console-webhook")).body.user.id as number;
  const failed = async () =>
    (await stack.request("GET", "/admin/webhooks/deliveries?status=failed", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body
      .deliveries.length;
  for (const deadline = Date.now() + 15_000; (await failed()) === 0; ) {
    assert.ok(Date.now() < deadline, "the delivery did not fail");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  receiver.behaviour = "ok";

  assert.ok(tool.path, tool.missing);
  browser ??= await chromium.launch({ executablePath: tool.path, headless: true, args: ["--no-sandbox", "--no-first-run"] });
  const page = await (await browser.newContext({ locale: "en-US", viewport: { width: 1200, height: 800 } })).newPage();
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${stack.url}/admin/console/`);
  await page.fill("#admin-token", ADMIN_TOKEN);
  await page.click("#signin");
  await page.waitForSelector("#search-value");

  await page.click('header a[href="#/webhooks"]');
  await page.waitForSelector("#webhooks tbody tr");
  const row = page.locator("#webhooks tbody tr").first();
  const text = await row.innerText();
  assert.match(text, /user\.created/);
  assert.match(text, /HTTP 500/);
  assert.ok(text.includes(`#${userId}`));
  assert.ok(text.includes(receiver.url.replace(/\?.*$/, "")));
  await page.screenshot({ path: `${OUTPUT}/console-webhooks.png`, fullPage: true });

  await row.locator("button.retry").click();
  await page.waitForSelector("#webhook-notice");
  assert.match(await page.locator("#webhook-notice").innerText(), /user\.created: sending it again now/);
  const event = await receiver.event("user.created", userId);
  assert.equal(receiver.arrivals.filter((a) => a.id === event.id).length >= 2, true, "the same webhook-id as the failed attempts");
  await page.click("#webhooks-delivered");
  await page.waitForSelector(`#webhooks tbody tr`);
  assert.ok((await page.locator("#webhooks").innerText()).includes(`#${userId}`));

  await page.click("#lang");
  assert.equal(await page.locator('header a[href="#/webhooks"]').innerText(), "Webhook");
  assert.equal(await page.locator("#webhooks-failed").innerText(), "失败");
  await page.screenshot({ path: `${OUTPUT}/console-webhooks-zh.png`, fullPage: true });
  assert.deepEqual(problems, [], "no CSP violation or script error");
});
