import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../config/config.js";
import { allowedReturnUrl, parseReturnUrls, type ReturnUrlRule } from "./returnUrls.js";

const rules = parseReturnUrls("https://h5.example.com, https://example.com/activity/", true) as ReturnUrlRule[];

test("an origin allows any path on it; a prefix only what starts with it; the fragment is dropped", () => {
  assert.equal(allowedReturnUrl(rules, "https://h5.example.com/any/page?x=1#frag")?.href, "https://h5.example.com/any/page?x=1");
  assert.equal(allowedReturnUrl(rules, "https://example.com/activity/2026/")?.href, "https://example.com/activity/2026/");
  for (const refused of [
    "https://example.com/other",
    "https://example.com/activity",
    "http://h5.example.com/",
    "https://h5.example.com.evil.com/",
    "https://user:pw@h5.example.com/",
    "//h5.example.com/",
    "javascript:alert(1)",
    "",
  ]) {
    assert.equal(allowedReturnUrl(rules, refused), null, refused);
  }
});

test("WEB_RETURN_URLS: https in production, no query or fragment, at least one", () => {
  assert.match(parseReturnUrls("http://h5.example.com", true) as string, /must be https in production/);
  assert.ok(Array.isArray(parseReturnUrls("http://127.0.0.1:8080", false)));
  assert.match(parseReturnUrls("https://a.example.com/?x=1", true) as string, /without query/);
  assert.match(parseReturnUrls("not a url", true) as string, /is not a URL/);
  assert.match(parseReturnUrls(" , ", true) as string, /at least one/);
});

test("a web app needs PUBLIC_URL and WEB_RETURN_URLS; without a web app they are not needed", () => {
  const apps = JSON.stringify([
    { platform: "wechat", appid: "wx1111111111111111", secret: "s" },
    { platform: "wechat-oa", appid: "wx2222222222222222", secret: "s" },
  ]);
  assert.throws(
    () => loadConfig({ APPS: apps }),
    (e: Error) => e instanceof ConfigError && /PUBLIC_URL, WEB_RETURN_URLS: required/.test(e.message),
  );
  const c = loadConfig({ APPS: apps, PUBLIC_URL: "https://login.example.com/", WEB_RETURN_URLS: "https://h5.example.com" });
  assert.equal(c.web?.publicUrl, "https://login.example.com");
  assert.equal(c.web?.openBase, "https://open.weixin.qq.com");
  assert.equal(loadConfig({}).web, null);
  assert.throws(
    () =>
      loadConfig({
        APPS: JSON.stringify([{ platform: "wechat-web", appid: "tt0123", secret: "s" }]),
        PUBLIC_URL: "https://x.example.com",
        WEB_RETURN_URLS: "https://x.example.com",
      }),
    /APPS\[0\]\.appid: must be wx/,
  );
});
