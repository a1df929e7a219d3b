/**
 * The console's webhook page (#/webhooks): the deliveries tongxing gave up on (GET
 * /admin/webhooks/deliveries?status=failed), each with a retry button (POST .../retry), and the
 * other statuses a click away. What a failure says is the last attempt's: `HTTP 500`, `timeout`,
 * `ECONNREFUSED`.
 */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import type { Words } from "./i18n.js";
import { errorText, time } from "./model.js";

/** A delivery as GET /admin/webhooks/deliveries answers it. */
interface Delivery {
  id: number;
  eventId: string;
  type: string;
  endpoint: string;
  status: "pending" | "failed" | "delivered";
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  lastError: string | null;
  event: { data: { userId: number } };
}

const STATUSES = ["failed", "pending", "delivered"] as const;
type Status = (typeof STATUSES)[number];

export function WebhooksPage({ t }: { t: Words }) {
  const w = t.webhooks;
  const [status, setStatus] = useState<Status>("failed");
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [notice, setNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);

  const load = async (before: number | null) => {
    const q = new URLSearchParams({ status, limit: "50" });
    if (before !== null) q.set("before", String(before));
    try {
      const page = await api<{ deliveries: Delivery[]; next: number | null }>("GET", `/webhooks/deliveries?${q}`);
      setDeliveries(before === null ? page.deliveries : [...deliveries, ...page.deliveries]);
      setNext(page.next);
    } catch (err) {
      setNotice({ kind: "error", text: errorText(err) });
    }
  };
  useEffect(() => {
    void load(null);
  }, [status]);

  const retry = async (d: Delivery) => {
    try {
      await api("POST", `/webhooks/deliveries/${d.id}/retry`);
      setNotice({ kind: "ok", text: w.retried(d.type) });
    } catch (err) {
      setNotice({ kind: "error", text: errorText(err) });
    }
    await load(null);
  };

  return (
    <main>
      <section>
        <h2>{w.title}</h2>
        {notice && (
          <p class={`notice ${notice.kind}`} id="webhook-notice">
            {notice.text}
          </p>
        )}
        <p class="row">
          {STATUSES.map((s) => (
            <button type="button" id={`webhooks-${s}`} class={s === status ? "primary" : ""} onClick={() => setStatus(s)}>
              {w[s]}
            </button>
          ))}
        </p>
      </section>
      <section>
        {deliveries.length === 0 ? (
          <p class="muted" id="webhooks-none">
            {w.none}
          </p>
        ) : (
          <table id="webhooks">
            <thead>
              <tr>
                <th>{t.at}</th>
                <th>{w.type}</th>
                <th>{t.user}</th>
                <th>{w.endpoint}</th>
                <th>{w.attempts}</th>
                <th>{w.lastError}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr data-delivery={d.id}>
                  <td>{time(d.createdAt)}</td>
                  <td class="mono">{d.type}</td>
                  <td>
                    <a href={`#/users/${d.event.data.userId}`}>#{d.event.data.userId}</a>
                  </td>
                  <td class="mono">{d.endpoint}</td>
                  <td>{d.attempts}</td>
                  <td class="mono">{d.lastError ?? "-"}</td>
                  <td>
                    {d.status !== "pending" && (
                      <button type="button" class="retry" onClick={() => retry(d)}>
                        {w.retry}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {next !== null && (
          <p>
            <button type="button" id="webhooks-older" onClick={() => load(next)}>
              {t.older}
            </button>
          </p>
        )}
      </section>
    </main>
  );
}
