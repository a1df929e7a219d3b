/**
 * The WEBHOOKS format, for config.ts (the only reader of process.env): a JSON array of endpoints
 * `{"url", "secret", "events"?, "includeOpenid"?}`. Parsing never echoes a value: a secret, or a
 * token in a URL, would end up in the start's error output.
 */
import { z } from "zod";
import { EVENT_TYPES, type EventType } from "./types.js";

/** One configured receiver. */
export interface WebhookEndpoint {
  /** Where events are POSTed. */
  url: string;
  /** `whsec_<base64>`: the Standard Webhooks secret its signatures are made with. */
  secret: string;
  /** The event types it gets; null: every one. */
  events: EventType[] | null;
  /** Whether its events carry openid and unionid (personal data: only to endpoints that need them). */
  includeOpenid: boolean;
}

/**
 * Standard Webhooks: "secret keys SHOULD be between 24 bytes and 64 bytes"; `whsec_` marks them so a
 * secret pasted in the wrong place is recognisable.
 */
const SECRET_BYTES = { min: 24, max: 64 } as const;
const SECRET_HINT = `must be whsec_ followed by ${SECRET_BYTES.min} to ${SECRET_BYTES.max} random bytes in base64 (echo "whsec_$(openssl rand -base64 32)")`;

const secret = z.string().refine((s) => {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(s);
  if (!m?.[1] || m[1].length % 4 !== 0) return false;
  const bytes = Buffer.from(m[1], "base64").length;
  return bytes >= SECRET_BYTES.min && bytes <= SECRET_BYTES.max;
}, SECRET_HINT);

/** Hosts whose traffic never leaves the machine: a receiver beside tongxing needs no TLS. */
const isLoopback = (host: string) => host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);

const url = (devMode: boolean) =>
  z
    .string()
    .max(2048, "must be at most 2048 characters")
    .refine((u) => URL.canParse(u) && ["http:", "https:"].includes(new URL(u).protocol), "must be an http(s) URL")
    .refine((u) => {
      // Events name users and sessions: on the way to another machine they go over TLS. Dev mode
      // and a receiver on loopback are the exceptions.
      const parsed = URL.canParse(u) ? new URL(u) : null;
      return !parsed || parsed.protocol === "https:" || devMode || isLoopback(parsed.hostname);
    }, "must be https:// (http:// only in dev mode or to a loopback address)");

const endpoint = (devMode: boolean) =>
  z.strictObject({
    url: url(devMode),
    secret,
    events: z
      .array(z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(", ")}` }))
      .min(1, "must list at least one event type (leave it out for every one)")
      .optional(),
    includeOpenid: z.boolean({ error: "must be true or false" }).optional(),
  });

const endpoints = (devMode: boolean) =>
  z
    .array(endpoint(devMode))
    .max(20, "must list at most 20 endpoints")
    .refine((list) => new Set(list.map((e) => e.url)).size === list.length, "lists a url twice (a delivery is kept per url)");

/**
 * Parses WEBHOOKS without ever echoing it.
 * @param devMode - no app configured (config.ts): http:// is then allowed to any host
 * @returns the endpoints (none for `[]`), or a problem line naming the entry's path
 *   (`WEBHOOKS[1].secret: ...`)
 */
export function parseWebhooks(text: string, devMode: boolean): WebhookEndpoint[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return '  WEBHOOKS: must be a JSON array such as [{"url": "https://...", "secret": "whsec_..."}]';
  }
  const parsed = endpoints(devMode).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") ?? "";
    return `  WEBHOOKS${path}: ${issue?.message}`;
  }
  return parsed.data.map((e) => ({ url: e.url, secret: e.secret, events: e.events ?? null, includeOpenid: e.includeOpenid ?? false }));
}
