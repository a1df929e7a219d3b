/**
 * The WECHAT_APPS format and dev mode's app, for config.ts (the only reader of process.env):
 * parsing a value here never echoes it, since it holds secrets.
 */
import { z } from "zod";
import { CONCURRENCY, type Concurrency } from "../platforms/types.js";

/** One mini-program tongxing logs users in for. */
export interface WechatApp {
  /** WeChat's appid, `wx` and 16 characters. */
  appid: string;
  /** Its AppSecret: never logged, never sent anywhere but to WeChat. */
  secret: string;
  /** A label for operators (logs, the admin API); defaults to the appid. */
  name: string;
  /** This app's own SESSION_CONCURRENCY. */
  concurrency?: Concurrency;
}

/** The appid and secret the built-in fake WeChat accepts in dev mode (it also takes any other appid). */
export const DEV_WECHAT = { appid: "wxdev0000000000000", secret: "dev-secret-not-for-production" } as const;

/**
 * An appid as WeChat issues them (`wx` and 16 lowercase hex digits), loosened to any 16 letters
 * or digits after `wx` so test and dev appids such as `wxdev0000000000000` fit.
 */
export const APPID_PATTERN = /^wx[0-9A-Za-z]{16}$/;

const appsSchema = z
  .array(
    z.strictObject({
      appid: z.string().regex(APPID_PATTERN, "must be wx followed by 16 letters or digits"),
      secret: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters"),
      name: z.string().min(1).max(64).optional(),
      concurrency: z.enum(CONCURRENCY, { error: `must be one of ${CONCURRENCY.join(", ")}` }).optional(),
    }),
  )
  .min(1, "must list at least one app")
  .refine((apps) => new Set(apps.map((a) => a.appid)).size === apps.length, "lists an appid twice");

/**
 * Parses WECHAT_APPS without ever echoing it (it holds secrets).
 * @returns the apps, or a problem line naming the variable
 */
export function parseApps(text: string): WechatApp[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return '  WECHAT_APPS: must be a JSON array such as [{"appid": "wx...", "secret": "...", "name": "shop"}]';
  }
  const parsed = appsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `  WECHAT_APPS${issue?.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") ?? ""}: ${issue?.message}`;
  }
  return parsed.data.map((a) => ({
    appid: a.appid,
    secret: a.secret,
    name: a.name ?? a.appid,
    ...(a.concurrency && { concurrency: a.concurrency }),
  }));
}
