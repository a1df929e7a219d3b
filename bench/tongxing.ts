/**
 * tongxing as the benchmarks run it: production mode (node <build>/main.js) on loopback, against
 * the fake WeChat in its own process, with the rate limits out of the way.
 */
import { randomBytes } from "node:crypto";
import { freePort, type Measure, measure, run, waitHttp } from "./lib.js";

export const APPID = "wxbench00000000000";
export const SECRET = "bench-app-secret";
export const PREFIX = "tx:";
export const KEY = randomBytes(32).toString("base64");

/** Starts the fake WeChat (bench/fakeWechat.ts); returns its base URL. */
export async function startFake(): Promise<string> {
  const fake = run(process.execPath, ["--import", "tsx", "bench/fakeWechat.ts"], { WECHAT_APPID: APPID, WECHAT_SECRET: SECRET }, true);
  for (let i = 0; i < 200 && !fake.output().includes("url"); i++) await new Promise((r) => setTimeout(r, 50));
  return (JSON.parse(fake.output().split("\n")[0] as string) as { url: string }).url;
}

/** Starts tongxing with `entry` (node arguments) and `env`; returns its base URL once /healthz answers. */
export async function startTongxing(entry: string[], env: Record<string, string>): Promise<string> {
  const port = await freePort();
  run(process.execPath, entry, {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    WECHAT_APPID: APPID,
    WECHAT_SECRET: SECRET,
    SESSION_KEY_ENCRYPTION_KEY: KEY,
    LOGIN_RATE_LIMIT: "100000000",
    WECHAT_CALL_RATE_LIMIT: "100000000",
    REDIS_KEY_PREFIX: PREFIX,
    LOG_LEVEL: "info",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`);
  return url;
}

/** Logs in with a wx.login code; returns the token. */
export async function login(url: string, code: string): Promise<string> {
  const res = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  if (res.status !== 200) throw new Error(`login ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * Logs `users` returning users in once each, as new users, 50 at a time: their codes are
 * `ret<n>#<tag>` (the fake WeChat's openid is the code up to '#'), so `ret<n>#<anything>` logs
 * the same user in again.
 */
export async function addReturningUsers(url: string, users: number, tag: string): Promise<void> {
  for (let i = 0; i < users; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, users - i) }, (_, k) => login(url, `ret${i + k}#${tag}`)));
  }
}

/** `POST /auth/login` for `duration` seconds over 32 connections (autocannon), each with the code `code()` returns. */
export function measureLogins(url: string, duration: number, code: () => string): Promise<Measure> {
  return measure({
    url: `${url}/auth/login`,
    duration,
    connections: 32,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ code: code() }) }),
      },
    ],
  });
}
