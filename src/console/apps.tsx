/**
 * The configured apps (GET /admin/apps: appid, platform, and APPS' or WECHAT_APPS' `name`), shown
 * beside every appid: an operator knows "shop lite", not wx3f2a.... Fetched once per page load.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "./api.js";

/** A configured app as GET /admin/apps gives it. */
export interface ConsoleApp {
  appid: string;
  /** wechat, douyin, alipay, qq, baidu or kuaishou. */
  platform: string;
  name: string;
}

let apps: Promise<ConsoleApp[]> | undefined;

/** The configured apps; empty until the answer arrives (or when it fails: appids alone are shown). */
export function useApps(): ConsoleApp[] {
  const [list, setList] = useState<ConsoleApp[]>([]);
  useEffect(() => {
    apps ??= api<{ apps: ConsoleApp[] }>("GET", "/apps").then(
      (r) => r.apps,
      () => {
        apps = undefined;
        return [];
      },
    );
    void apps.then(setList);
  }, []);
  return list;
}

/** appid → name; empty until the answer arrives. */
export function useAppNames(): Map<string, string> {
  const list = useApps();
  return useMemo(() => new Map(list.map((a) => [a.appid, a.name])), [list]);
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
