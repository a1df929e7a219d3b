/**
 * Peer: Express 5 + express-session with connect-redis (node-redis), the usual Express cookie
 * session, at its defaults (resave off, so each check also touches the key's TTL).
 * GET /healthz (no session), POST /login?user=N, GET /session (401 without one), POST /logout.
 */
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { createClient } from "redis";
import { announce, PORT, REDIS_URL, SECRET } from "./listen.js";

declare module "express-session" {
  interface SessionData {
    userId: number;
  }
}

const client = createClient({ url: REDIS_URL });
await client.connect();
const app = express();
app.get("/healthz", (_req, res) => {
  res.json({ status: "ok" });
});
app.use(session({ store: new RedisStore({ client }), secret: SECRET, resave: false, saveUninitialized: false }));
app.post("/login", (req, res) => {
  req.session.userId = Number(req.query.user ?? 1);
  res.json({ ok: true });
});
app.get("/session", (req, res) => {
  if (req.session.userId === undefined) res.status(401).json({ error: "unauthenticated" });
  else res.json({ userId: req.session.userId });
});
app.post("/logout", (req, res, next) => {
  req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
});
announce(app.listen(PORT, "127.0.0.1"));
