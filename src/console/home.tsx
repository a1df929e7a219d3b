/**
 * The console's home page: find a user (by id, openid, unionid, phone or nickname prefix), every
 * user newest first a page at a time (GET /admin/users, `next` as the cursor), narrowed to one
 * platform's users if asked (`platform`, with the listing and the nickname search; the exact
 * searches ignore it, as the API refuses it there), and the newest logins across users
 * (GET /admin/audit?action=login) with the app each was in.
 */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { AppName, useAppNames, useApps } from "./apps.js";
import type { Words } from "./i18n.js";
import { type AuditEvent, errorText, time, type User } from "./model.js";
import { PlatformApp, PlatformFilter } from "./platforms.js";

const PAGE = 20;
const BY = ["id", "nickname", "openid", "unionid", "phone"] as const;
type By = (typeof BY)[number];

/** What the listing is narrowed by (both optional). */
type Filter = { nickname?: string; platform?: string };
/** The list shown: every user or a nickname prefix's, of one platform or all (paged), or an exact match's users. */
type Listing = Filter & { users: User[]; next: string | null };

export function HomePage({ t }: { t: Words }) {
  const [by, setBy] = useState<By>("id");
  const [value, setValue] = useState("");
  const [platform, setPlatform] = useState("");
  const [listing, setListing] = useState<Listing>({ users: [], next: null });
  const [error, setError] = useState<string | null>(null);
  const apps = useApps();
  const names = useAppNames();

  const list = async ({ nickname, platform }: Filter, cursor: string | null) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (nickname) q.set("nickname", nickname);
    if (platform) q.set("platform", platform);
    if (cursor) q.set("cursor", cursor);
    try {
      const page = await api<{ users: User[]; next: string | null }>("GET", `/users?${q}`);
      const users = cursor ? [...listing.users, ...page.users] : page.users;
      setListing({ ...(nickname && { nickname }), ...(platform && { platform }), users, next: page.next });
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void list({}, null);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const v = value.trim();
    if (by === "id") {
      location.hash = `#/users/${encodeURIComponent(v)}`;
      return;
    }
    if (by === "nickname" || !v) {
      await list({ ...(v && { nickname: v }), platform }, null);
      return;
    }
    try {
      const found = await api<{ users: User[] }>("GET", `/users?${by}=${encodeURIComponent(v)}`);
      if (found.users.length === 1 && found.users[0]) location.hash = `#/users/${found.users[0].id}`;
      else {
        // Every platform's: the filter shows what the list holds.
        setPlatform("");
        setListing({ users: found.users, next: null });
      }
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <main>
      <section>
        <h2>{t.search}</h2>
        {error && <p class="notice error">{error}</p>}
        <form onSubmit={submit}>
          <select id="search-by" value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value as By)}>
            {BY.map((k) => (
              <option value={k}>{t.by[k]}</option>
            ))}
          </select>
          <input id="search-value" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
          <button class="primary" type="submit" id="search">
            {t.find}
          </button>
        </form>
      </section>
      <section>
        <div class="row heading">
          <h2>{t.users}</h2>
          <PlatformFilter
            t={t}
            apps={apps}
            value={platform}
            onChange={(p) => {
              setPlatform(p);
              void list({ nickname: listing.nickname, platform: p }, null);
            }}
          />
        </div>
        {listing.users.length === 0 ? (
          <p class="muted">{t.noUser}</p>
        ) : (
          <table id="users">
            <thead>
              <tr>
                <th>{t.user}</th>
                <th>{t.nickname}</th>
                <th>{t.app}</th>
                <th>{t.created}</th>
              </tr>
            </thead>
            <tbody>
              {listing.users.map((u) => (
                <tr data-user={u.id}>
                  <td>
                    <a href={`#/users/${u.id}`}>#{u.id}</a>
                  </td>
                  <td>{u.nickname ?? "-"}</td>
                  <td>
                    {u.identities.map((i) => (
                      <div>
                        <PlatformApp t={t} platform={i.platform} appid={i.appid} names={names} />
                      </div>
                    ))}
                  </td>
                  <td>{time(u.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {listing.next !== null && (
          <p>
            <button type="button" id="users-more" onClick={() => list(listing, listing.next)}>
              {t.more}
            </button>
          </p>
        )}
      </section>
      <RecentLogins t={t} names={names} />
    </main>
  );
}

function RecentLogins({ t, names }: { t: Words; names: Map<string, string> }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ events: AuditEvent[] }>("GET", `/audit?action=login&limit=${PAGE}`).then(
      (page) => setEvents(page.events),
      (err) => setError(errorText(err)),
    );
  }, []);
  return (
    <section>
      <h2>{t.recentLogins}</h2>
      {error && <p class="notice error">{error}</p>}
      {events && events.length === 0 && <p class="muted">{t.noLogins}</p>}
      {events && events.length > 0 && (
        <table id="recent-logins">
          <thead>
            <tr>
              <th>{t.at}</th>
              <th>{t.user}</th>
              <th>{t.app}</th>
              <th>{t.ip}</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr data-user={e.userId}>
                <td>{time(e.at)}</td>
                <td>
                  <a href={`#/users/${e.userId}`}>#{e.userId}</a>
                </td>
                <td>
                  <AppName appid={e.appid} names={names} />
                </td>
                <td class="mono">{e.ip ?? "-"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
