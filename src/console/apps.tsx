/**
 * The configured apps' names (GET /admin/apps, WECHAT_APPS' `name`), shown beside every appid:
 * an operator knows "shop lite", not wx3f2a.... Fetched once per page load.
 */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";

let names: Promise<Map<string, string>> | undefined;

/** appid → name; empty until the answer arrives (or when it fails: the appid alone is shown). */
export function useAppNames(): Map<string, string> {
  const [map, setMap] = useState(new Map<string, string>());
  useEffect(() => {
    names ??= api<{ apps: { appid: string; name: string }[] }>("GET", "/apps").then(
      (r) => new Map(r.apps.map((a) => [a.appid, a.name])),
      () => {
        names = undefined;
        return new Map();
      },
    );
    void names.then(setMap);
  }, []);
  return map;
}

/** The app's name and its appid; the appid alone when the name is the appid or unknown. */
export function AppName({ appid, names }: { appid: string | null; names: Map<string, string> }) {
  if (!appid) return <span>-</span>;
  const name = names.get(appid);
  return name && name !== appid ? (
    <span class="app">
      {name} <span class="mono muted">{appid}</span>
    </span>
  ) : (
    <span class="mono">{appid}</span>
  );
}
