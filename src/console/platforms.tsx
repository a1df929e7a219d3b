/**
 * The platforms as the console shows them: a label beside the app of each identity and session
 * (the row's own `platform`), and the users list's filter, offering the platforms of the
 * configured apps (GET /admin/apps) and sending GET /admin/users?platform=.
 */
import { AppName, type ConsoleApp } from "./apps.js";
import type { Words } from "./i18n.js";

/** A platform's name in the console's language; the API's value for one it does not know. */
export const platformName = (t: Words, platform: string) =>
  Object.hasOwn(t.platforms, platform) ? t.platforms[platform as keyof Words["platforms"]] : platform;

/** The platforms of the configured apps, each once, in the apps' order (the primary app's first). */
export const platformsOf = (apps: ConsoleApp[]) => [...new Set(apps.map((a) => a.platform))];

/** The platform's label, then the app's name and appid. */
export function PlatformApp(props: { t: Words; platform: string; appid: string; names: Map<string, string> }) {
  return (
    <span>
      <span class={`badge platform ${props.platform}`} data-platform={props.platform}>
        {platformName(props.t, props.platform)}
      </span>{" "}
      <AppName appid={props.appid} names={props.names} />
    </span>
  );
}

/** A select of "all platforms" (value "") and each platform of `apps`. */
export function PlatformFilter(props: { t: Words; apps: ConsoleApp[]; value: string; onChange: (platform: string) => void }) {
  const { t } = props;
  return (
    <label class="row">
      {t.platform}
      <select id="users-platform" value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        <option value="">{t.allPlatforms}</option>
        {platformsOf(props.apps).map((p) => (
          <option value={p}>{platformName(t, p)}</option>
        ))}
      </select>
    </label>
  );
}
