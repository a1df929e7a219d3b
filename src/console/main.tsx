/**
 * The admin console: sign in with the admin token, find a user, see their identities and live
 * sessions and act on them (revoke; ban and restrict: moderation.tsx), read the audit trail. Plain
 * Preact; every call goes to the existing admin API (api.ts), so every action lands in the audit
 * trail as `admin_api`. Views are hash routes: #/ (find, every user, recent logins: home.tsx),
 * #/users/<id>, #/audit, #/overview.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, token, whenUnauthorized } from "./api.js";
import { AppName, useAppNames } from "./apps.js";
import { Chart } from "./chart.js";
import { HomePage } from "./home.js";
import { actionLabel, browserLang, type Lang, WORDS, type Words } from "./i18n.js";
import { type AuditEvent, errorText, type Session, time, type User } from "./model.js";
import { BanSection, RestrictionsSection } from "./moderation.js";
import { PlatformApp } from "./platforms.js";
import { describeUserAgent } from "./userAgent.js";
import { WebhooksPage } from "./webhooks.js";

type Notice = { kind: "ok" | "error"; text: string } | null;

function useHash(): string {
  const [hash, setHash] = useState(location.hash || "#/");
  useEffect(() => {
    const onChange = () => setHash(location.hash || "#/");
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return hash;
}

function SignIn({ t, onSignedIn, notice }: { t: Words; onSignedIn: () => void; notice: Notice }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      // Any admin call proves the token; only a token the server accepted is kept.
      await api("GET", "/audit?limit=1", undefined, value);
      token.set(value);
      setValue("");
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t.wrongToken : errorText(err));
    }
  };
  return (
    <main class="signin">
      <section>
        <h2>{t.title}</h2>
        {notice && <p class={`notice ${notice.kind}`}>{notice.text}</p>}
        {error && (
          <p class="notice error" id="signin-error">
            {error}
          </p>
        )}
        <form onSubmit={submit}>
          <input
            id="admin-token"
            type="password"
            autocomplete="off"
            placeholder={t.adminToken}
            value={value}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
          <button class="primary" type="submit" id="signin">
            {t.signIn}
          </button>
        </form>
      </section>
    </main>
  );
}

function UserPage({ t, userId }: { t: Words; userId: string }) {
  const names = useAppNames();
  const [user, setUser] = useState<User | null>(null);
  const [sessions, setSessions] = useState<Session[]>([]);
  const [notice, setNotice] = useState<Notice>(null);
  const [confirm, setConfirm] = useState("");
  const load = async () => {
    try {
      setUser(await api<User>("GET", `/users/${userId}`));
      setSessions((await api<{ sessions: Session[] }>("GET", `/users/${userId}/sessions`)).sessions);
    } catch (err) {
      setUser(null);
      setNotice({ kind: "error", text: err instanceof ApiError && err.status === 404 ? t.noUser : errorText(err) });
    }
  };
  useEffect(() => {
    void load();
  }, [userId]);
  const act = async (op: () => Promise<string>) => {
    try {
      setNotice({ kind: "ok", text: await op() });
    } catch (err) {
      setNotice({ kind: "error", text: errorText(err) });
    }
    await load();
  };
  const state = user?.deletedAt ? "deleted" : user?.bannedAt ? "banned" : "active";
  return (
    <main>
      {notice && (
        <p class={`notice ${notice.kind}`} id="notice">
          {notice.text}
        </p>
      )}
      {user && (
        <>
          <section>
            <h2>
              {t.user} #{user.id} <span class={`badge ${state}`}>{t[state]}</span>
            </h2>
            <table>
              <tbody>
                <tr>
                  <th>{t.nickname}</th>
                  <td>{user.nickname ?? "-"}</td>
                  <th>{t.phone}</th>
                  <td>{user.phone ?? "-"}</td>
                  <th>{t.created}</th>
                  <td>{time(user.createdAt)}</td>
                </tr>
              </tbody>
            </table>
          </section>
          <section>
            <h2>{t.identities}</h2>
            <table id="identities">
              <thead>
                <tr>
                  <th>{t.app}</th>
                  <th>openid</th>
                  <th>unionid</th>
                  <th>{t.created}</th>
                </tr>
              </thead>
              <tbody>
                {user.identities.map((i) => (
                  <tr>
                    <td>
                      <PlatformApp t={t} platform={i.platform} appid={i.appid} names={names} />
                    </td>
                    <td class="mono">{i.openid}</td>
                    <td class="mono">{i.unionid ?? "-"}</td>
                    <td>{time(i.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section>
            <h2>{t.sessions}</h2>
            {sessions.length === 0 ? (
              <p class="muted">{t.noSessions}</p>
            ) : (
              <table id="sessions">
                <thead>
                  <tr>
                    <th>{t.app}</th>
                    <th>{t.created}</th>
                    <th>{t.lastSeen}</th>
                    <th>{t.expires}</th>
                    <th>{t.ip}</th>
                    <th>{t.device}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {sessions.map((s) => (
                    <tr data-session={s.sessionId}>
                      <td>
                        <PlatformApp t={t} platform={s.platform} appid={s.appid} names={names} />
                      </td>
                      <td>{time(s.createdAt)}</td>
                      <td>{time(s.lastSeenAt)}</td>
                      <td>{time(s.expiresAt)}</td>
                      <td class="mono">{s.ip}</td>
                      <td title={s.userAgent}>{describeUserAgent(s.userAgent)}</td>
                      <td>
                        <button
                          class="revoke"
                          type="button"
                          onClick={() =>
                            act(async () => {
                              await api("DELETE", `/sessions/${encodeURIComponent(s.sessionId)}`);
                              return t.revoked(1);
                            })
                          }
                        >
                          {t.revoke}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="row">
              <button
                type="button"
                id="revoke-all"
                onClick={() => act(async () => t.revoked((await api<{ revoked: number }>("DELETE", `/users/${userId}/sessions`)).revoked))}
              >
                {t.revokeAll}
              </button>
            </p>
          </section>
          <BanSection t={t} user={user} act={act} />
          <RestrictionsSection t={t} user={user} act={act} />
          {!user.deletedAt && (
            <section>
              <h2>{t.deleteAccount}</h2>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  if (confirm !== `DELETE ${user.id}`) return;
                  void act(async () => {
                    await api("DELETE", `/users/${userId}`);
                    return t.deletedMsg;
                  });
                }}
              >
                <input
                  id="delete-confirm"
                  placeholder={t.typeToConfirm(user.id)}
                  value={confirm}
                  onInput={(e) => setConfirm((e.target as HTMLInputElement).value)}
                />
                <button class="danger" type="submit" id="delete" disabled={confirm !== `DELETE ${user.id}`}>
                  {t.deleteAccount}
                </button>
              </form>
            </section>
          )}
        </>
      )}
    </main>
  );
}

function OverviewPage({ t }: { t: Words }) {
  const [data, setData] = useState<{ minutes: string[]; series: Record<string, Record<string, number[]>> } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ minutes: string[]; series: Record<string, Record<string, number[]>> }>("GET", "/overview").then(setData, (err) =>
      setError(errorText(err)),
    );
  }, []);
  return (
    <main>
      {error && <p class="notice error">{error}</p>}
      {data && (
        <>
          <Chart id="chart-logins" title={t.chartLogins} counts={data.series.logins ?? {}} minutes={data.minutes} t={t} />
          <Chart id="chart-wechat" title={t.chartWechat} counts={data.series.wechat_errors ?? {}} minutes={data.minutes} t={t} />
          <Chart id="chart-checks" title={t.chartChecks} counts={data.series.checks ?? {}} minutes={data.minutes} t={t} />
        </>
      )}
    </main>
  );
}

function AuditPage({ t }: { t: Words }) {
  const names = useAppNames();
  const [userId, setUserId] = useState("");
  const [action, setAction] = useState("");
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (before: number | null) => {
    const q = new URLSearchParams();
    if (userId.trim()) q.set("userId", userId.trim());
    if (action) q.set("action", action);
    if (before !== null) q.set("before", String(before));
    try {
      const page = await api<{ events: AuditEvent[]; next: number | null }>("GET", `/audit?${q}`);
      setEvents(before === null ? page.events : [...events, ...page.events]);
      setNext(page.next);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void load(null);
  }, []);
  return (
    <main>
      <section>
        <h2>{t.audit}</h2>
        {error && <p class="notice error">{error}</p>}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void load(null);
          }}
        >
          <input id="audit-user" placeholder={t.by.id} value={userId} onInput={(e) => setUserId((e.target as HTMLInputElement).value)} />
          <select id="audit-action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
            <option value="">{t.any}</option>
            {Object.keys(t.actions).map((a) => (
              <option value={a}>{actionLabel(t, a)}</option>
            ))}
          </select>
          <button class="primary" type="submit" id="audit-filter">
            {t.filter}
          </button>
        </form>
      </section>
      <section>
        <table id="audit">
          <thead>
            <tr>
              <th>{t.at}</th>
              <th>{t.action}</th>
              <th>{t.actor}</th>
              <th>{t.user}</th>
              <th>{t.app}</th>
              <th>{t.ip}</th>
              <th>{t.detail}</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr data-action={e.action}>
                <td>{time(e.at)}</td>
                <td title={e.action}>{actionLabel(t, e.action)}</td>
                <td>{e.actor}</td>
                <td>
                  <a href={`#/users/${e.userId}`}>#{e.userId}</a>
                </td>
                <td>
                  <AppName appid={e.appid} names={names} />
                </td>
                <td class="mono">{e.ip ?? "-"}</td>
                <td>{e.detail ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {next !== null && (
          <p>
            <button type="button" id="audit-older" onClick={() => load(next)}>
              {t.older}
            </button>
          </p>
        )}
      </section>
    </main>
  );
}

function App() {
  const [lang, setLang] = useState<Lang>(browserLang());
  const [signedIn, setSignedIn] = useState(Boolean(token.get()));
  const [notice, setNotice] = useState<Notice>(null);
  const hash = useHash();
  const t = WORDS[lang];
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t.title;
  }, [lang]);
  useEffect(() => {
    whenUnauthorized(() => {
      setSignedIn(false);
      setNotice({ kind: "error", text: WORDS[lang].signedOut });
    });
  }, [lang]);
  const user = /^#\/users\/(.+)$/.exec(hash)?.[1];
  return (
    <>
      <header>
        <h1>{t.title}</h1>
        {signedIn && (
          <>
            <a href="#/">{t.search}</a>
            <a href="#/audit">{t.audit}</a>
            <a href="#/overview">{t.overview}</a>
            <a href="#/webhooks">{t.webhooks.nav}</a>
          </>
        )}
        <span class="spacer" />
        <button type="button" id="lang" onClick={() => setLang(lang === "zh" ? "en" : "zh")}>
          {t.language}
        </button>
        {signedIn && (
          <button
            type="button"
            id="signout"
            onClick={() => {
              token.clear();
              setNotice(null);
              setSignedIn(false);
            }}
          >
            {t.signOut}
          </button>
        )}
      </header>
      {!signedIn ? (
        <SignIn
          t={t}
          notice={notice}
          onSignedIn={() => {
            setNotice(null);
            setSignedIn(true);
          }}
        />
      ) : user ? (
        <UserPage t={t} userId={decodeURIComponent(user)} />
      ) : hash === "#/audit" ? (
        <AuditPage t={t} />
      ) : hash === "#/overview" ? (
        <OverviewPage t={t} />
      ) : hash === "#/webhooks" ? (
        <WebhooksPage t={t} />
      ) : (
        <HomePage t={t} />
      )}
    </>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
