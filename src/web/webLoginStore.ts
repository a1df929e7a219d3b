/**
 * What a web login keeps in Redis between its redirects: the state of an authorize redirect (10
 * minutes) and the ticket a finished login hands the page (60 seconds). Both are single use
 * (GETDEL) and stored under a SHA-256 of the random value, never the value itself. The ticket's
 * record holds the session token sealed with a key derived from the ticket (AES-256-GCM), so
 * Redis alone never yields a usable token: the page that holds the ticket does.
 *
 * Keys: `<p>web:state:<sha256>` → JSON {appid, returnTo, scope}; `<p>web:ticket:<sha256>` →
 * `<iv>.<ciphertext+tag>` (base64url) of JSON {token, isNewUser}.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { RedisClient } from "../clients/redis.js";

/** Seconds a state is valid: the authorize round trip at WeChat (the user may take a while). */
export const STATE_TTL = 600;
/** Seconds a ticket is valid: the page exchanges it as soon as it loads. */
export const TICKET_TTL = 60;

/** An authorize redirect's state, as kept until its callback. */
export interface WebState {
  appid: string;
  /** The allow-listed URL the login returns to (no fragment). */
  returnTo: string;
  scope: string;
}

/** 256 random bits, base64url: a state or a ticket. */
export const randomSecret = () => randomBytes(32).toString("base64url");
const digest = (kind: string, secret: string) => createHash("sha256").update(`tongxing web ${kind}\0${secret}`).digest("base64url");
const ticketKey = (ticket: string) => createHash("sha256").update(`tongxing web ticket key\0${ticket}`).digest();

export class WebLoginStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Keeps a new state for STATE_TTL seconds. */
  async saveState(state: string, value: WebState): Promise<void> {
    await this.redis.set(`${this.prefix}web:state:${digest("state", state)}`, JSON.stringify(value), "EX", STATE_TTL);
  }

  /** Takes a state: its record once, null when unknown, used or expired. */
  async takeState(state: string): Promise<WebState | null> {
    const raw = await this.redis.getdel(`${this.prefix}web:state:${digest("state", state)}`);
    return raw ? (JSON.parse(raw) as WebState) : null;
  }

  /** Keeps a finished login's token for TICKET_TTL seconds, sealed with the ticket. */
  async saveTicket(ticket: string, login: { token: string; isNewUser: boolean }): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", ticketKey(ticket), iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(login), "utf8"), cipher.final(), cipher.getAuthTag()]);
    await this.redis.set(
      `${this.prefix}web:ticket:${digest("ticket", ticket)}`,
      `${iv.toString("base64url")}.${sealed.toString("base64url")}`,
      "EX",
      TICKET_TTL,
    );
  }

  /** Takes a ticket: its login once, null when unknown, used, expired or not opened by it. */
  async takeTicket(ticket: string): Promise<{ token: string; isNewUser: boolean } | null> {
    const raw = await this.redis.getdel(`${this.prefix}web:ticket:${digest("ticket", ticket)}`);
    const [iv, sealed] = raw?.split(".") ?? [];
    if (!iv || !sealed) return null;
    try {
      const data = Buffer.from(sealed, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", ticketKey(ticket), Buffer.from(iv, "base64url"));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const text = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8");
      return JSON.parse(text) as { token: string; isNewUser: boolean };
    } catch {
      return null;
    }
  }
}
