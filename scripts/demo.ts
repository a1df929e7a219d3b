/**
 * Plays a mini-program against a running tongxing (dev mode: any code logs in):
 * wx.login-style code → POST /auth/login → GET /me → PATCH /me (emoji nickname) → logout.
 *
 *   npm start            # in one terminal
 *   npm run demo         # in another; BASE_URL, else http://127.0.0.1:$PORT (3000)
 */
const base = (process.env.BASE_URL || `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, "");
const user = process.argv[2] ?? "alice";

async function call(step: string, method: string, path: string, token?: string, body?: unknown): Promise<any> {
  const headers: Record<string, string> = {};
  if (token) headers["X-WX-Token"] = token;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }).catch(() => {
    console.error(`demo: nothing answers at ${base}; start tongxing first (npm start), or set BASE_URL (or PORT)`);
    process.exit(1);
  });
  const text = await res.text();
  const shown = text.replace(/"token":"[^"]+"/, '"token":"…"');
  console.log(`${step}\n  ${method} ${path} → ${res.status} ${shown}`);
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// wx.login() gives a fresh one-time code each call; in dev mode the part before # names the user.
const code = `${user}#${Date.now()}`;
console.log(`1. wx.login() → code "${code}"`);
const login = await call("2. log in with the code", "POST", "/auth/login", undefined, { code });
if (login.status !== 200) process.exit(1);
const { token } = login.body;
await call("3. who am I?", "GET", "/me", token);
const patched = await call("4. set an emoji nickname", "PATCH", "/me", token, { nickname: `${user} 🐼✨` });
await call("5. the session, as the server sees it", "GET", "/auth/session", token);
const out = await call("6. log out", "POST", "/auth/logout", token);
const after = await call("7. the old token no longer works", "GET", "/me", token);
const ok = patched.status === 200 && patched.body.nickname === `${user} 🐼✨` && out.status === 204 && after.status === 401;
console.log(ok ? "demo: ok" : "demo: FAILED");
process.exit(ok ? 0 : 1);
