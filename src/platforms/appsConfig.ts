/**
 * The APPS format (every platform's apps in one JSON array) and dev mode's apps, for config.ts
 * (the only reader of process.env). Parsing never echoes a value: entries hold secrets and keys.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { z } from "zod";
import { APPID_PATTERN, DEV_WECHAT } from "../wechat/appConfig.js";
import { type App, CONCURRENCY, PLATFORMS, type Platform } from "./types.js";

/**
 * An appid of a platform other than WeChat: Douyin's `tt` and 16 hex digits, Alipay's 16 digits,
 * QQ's digits, Baidu's 32-character AppKey, Kuaishou's `ks` and digits. Loosened to any 1-32
 * letters, digits, `_` or `-`, which keeps it a plain token for logs, Redis fields and URLs.
 */
export const OTHER_APPID_PATTERN = /^[0-9A-Za-z_-]{1,32}$/;

const name = z.string().min(1).max(64).optional();
const concurrency = z.enum(CONCURRENCY, { error: `must be one of ${CONCURRENCY.join(", ")}` }).optional();
const secret = z.string().min(1, "must not be empty").max(256, "must be at most 256 characters");

/** A PEM key node:crypto can load, checked without ever putting the key in a message. */
const pem = (kind: "private" | "public") =>
  z.string().refine(
    (text) => {
      try {
        if (kind === "private") createPrivateKey({ key: text, format: "pem" });
        else createPublicKey({ key: text, format: "pem" });
        return true;
      } catch {
        return false;
      }
    },
    kind === "private" ? "must be an RSA private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)" : "must be a public key in PEM",
  );

const secretApp = (platform: Exclude<Platform, "alipay">) =>
  z.strictObject({
    platform: z.literal(platform),
    appid:
      platform === "wechat" || platform === "wechat-oa" || platform === "wechat-web"
        ? z.string().regex(APPID_PATTERN, "must be wx followed by 16 letters or digits")
        : z.string().regex(OTHER_APPID_PATTERN, "must be 1-32 letters, digits, _ or -"),
    secret,
    name,
    concurrency,
  });

const appSchema = z.discriminatedUnion(
  "platform",
  [
    secretApp("wechat"),
    secretApp("douyin"),
    secretApp("qq"),
    secretApp("baidu"),
    secretApp("kuaishou"),
    secretApp("wechat-oa"),
    secretApp("wechat-web"),
    z.strictObject({
      platform: z.literal("alipay"),
      appid: z.string().regex(OTHER_APPID_PATTERN, "must be 1-32 letters, digits, _ or -"),
      privateKey: pem("private"),
      alipayPublicKey: pem("public"),
      name,
      concurrency,
    }),
  ],
  { error: () => `must be one of ${PLATFORMS.join(", ")}` },
);

const appsSchema = z
  .array(appSchema)
  .min(1, "must list at least one app")
  .refine(
    (apps) => new Set(apps.map((a) => a.appid)).size === apps.length,
    "lists an appid twice (an appid decides the platform of a login)",
  );

/**
 * Parses APPS without ever echoing it. The first app is the primary one (apps.ts).
 * @returns the apps, or a problem line naming the variable and the entry's path
 *   (`APPS[2].privateKey: ...`)
 */
export function parseAllApps(text: string): App[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return '  APPS: must be a JSON array such as [{"platform": "wechat", "appid": "wx...", "secret": "..."}]';
  }
  const parsed = appsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") ?? "";
    return `  APPS${path}: ${issue?.message}`;
  }
  return parsed.data.map((a) => ({ ...a, name: a.name ?? a.appid }));
}

/**
 * Dev mode's apps: one per platform, each answered by the built-in fakes (any code logs in).
 * WeChat's comes first, so a one-app dev setup behaves as before; any other `wx` appid is also a
 * WeChat app in dev mode (apps.ts).
 */
export const DEV_APPS: readonly App[] = [
  { platform: "wechat", appid: DEV_WECHAT.appid, secret: DEV_WECHAT.secret, name: "dev" },
  { platform: "douyin", appid: "ttdev00000000000000", secret: "dev-secret-not-for-production", name: "dev-douyin" },
  { platform: "qq", appid: "qqdev0000", secret: "dev-secret-not-for-production", name: "dev-qq" },
  { platform: "baidu", appid: "baidudev0000", secret: "dev-secret-not-for-production", name: "dev-baidu" },
  { platform: "kuaishou", appid: "ksdev0000", secret: "dev-secret-not-for-production", name: "dev-kuaishou" },
];
