/**
 * The user page's ban and restrictions (partial bans): ban with an optional reason and end, or
 * lift the ban; list the user's restrictions (name, reason, end), lift one, add one. An end is
 * picked in the operator's clock (a datetime-local input) and sent as ISO 8601 in UTC; the API
 * refuses one in the past, and the console shows its message.
 */
import { useState } from "preact/hooks";
import { api } from "./api.js";
import type { Words } from "./i18n.js";
import { type Restriction, time, type User } from "./model.js";

/** Runs an admin call, shows what it answers (or its error) and reloads the user: UserPage's. */
export type Act = (op: () => Promise<string>) => Promise<void>;

/** A datetime-local value (the operator's clock, no zone) as ISO 8601 in UTC; undefined when empty. */
const isoFromLocal = (value: string) => (value ? new Date(value).toISOString() : undefined);

/** A labelled datetime-local input: datetime inputs show no placeholder. */
function UntilInput(props: { t: Words; id: string; value: string; onInput: (value: string) => void }) {
  return (
    <label class="row">
      {props.t.untilOptional}
      <input id={props.id} type="datetime-local" value={props.value} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
    </label>
  );
}

/** A banned user's ban (since, until) and the unban button; otherwise the ban form. */
export function BanSection({ t, user, act }: { t: Words; user: User; act: Act }) {
  const [reason, setReason] = useState("");
  const [until, setUntil] = useState("");
  const ban = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const end = isoFromLocal(until);
      await api("POST", `/users/${user.id}/ban`, { ...(reason && { reason }), ...(end && { until: end }) });
      setReason("");
      setUntil("");
      return t.bannedMsg;
    });
  };
  const unban = () =>
    act(async () => {
      await api("DELETE", `/users/${user.id}/ban`);
      return t.unbannedMsg;
    });
  return (
    <section>
      {user.bannedAt ? (
        <div class="row">
          <span id="ban-state">{t.bannedSince(time(user.bannedAt), user.bannedUntil && time(user.bannedUntil))}</span>
          <button type="button" id="unban" onClick={unban}>
            {t.unban}
          </button>
        </div>
      ) : (
        <form onSubmit={ban}>
          <input id="ban-reason" placeholder={t.reason} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          <UntilInput t={t} id="ban-until" value={until} onInput={setUntil} />
          <button class="danger" type="submit" id="ban">
            {t.ban}
          </button>
        </form>
      )}
    </section>
  );
}

/** One restriction's row: an ended one (its end passed) is marked, and listed until lifted. */
function RestrictionRow({ t, r, lift }: { t: Words; r: Restriction; lift: () => void }) {
  const ended = r.until !== null && Date.parse(r.until) <= Date.now();
  return (
    <tr data-restriction={r.name}>
      <td class="mono">{r.name}</td>
      <td>{r.reason ?? "-"}</td>
      <td>
        {r.until ? time(r.until) : t.noEnd} {ended && <span class="badge">{t.ended}</span>}
      </td>
      <td>{time(r.createdAt)}</td>
      <td>
        <button class="unrestrict" type="button" onClick={lift}>
          {t.lift}
        </button>
      </td>
    </tr>
  );
}

/** The user's restrictions, each with a lift button, and the form that adds one. */
export function RestrictionsSection({ t, user, act }: { t: Words; user: User; act: Act }) {
  const [name, setName] = useState("");
  const [reason, setReason] = useState("");
  const [until, setUntil] = useState("");
  const add = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const end = isoFromLocal(until);
      const body = { name: name.trim(), ...(reason && { reason }), ...(end && { until: end }) };
      await api("POST", `/users/${user.id}/restrictions`, body);
      setName("");
      setReason("");
      setUntil("");
      return t.restrictedMsg(body.name);
    });
  };
  const lift = (r: Restriction) =>
    act(async () => {
      await api("DELETE", `/users/${user.id}/restrictions/${encodeURIComponent(r.name)}`);
      return t.unrestrictedMsg(r.name);
    });
  return (
    <section>
      <h2>{t.restrictions}</h2>
      {user.restrictions.length === 0 ? (
        <p class="muted">{t.noRestrictions}</p>
      ) : (
        <table id="restrictions">
          <thead>
            <tr>
              <th>{t.name}</th>
              <th>{t.reason}</th>
              <th>{t.until}</th>
              <th>{t.created}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {user.restrictions.map((r) => (
              <RestrictionRow key={r.name} t={t} r={r} lift={() => void lift(r)} />
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={add}>
        <input
          id="restriction-name"
          placeholder={t.restrictionName}
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <input
          id="restriction-reason"
          placeholder={t.reason}
          value={reason}
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
        <UntilInput t={t} id="restriction-until" value={until} onInput={setUntil} />
        <button class="primary" type="submit" id="restrict">
          {t.restrict}
        </button>
      </form>
    </section>
  );
}
