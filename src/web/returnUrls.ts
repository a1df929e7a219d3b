/**
 * WEB_RETURN_URLS: where a finished web login may send the browser back to. An open redirect on
 * the login path would hand the ticket to any page an attacker names, so only listed places are
 * allowed (OWASP ASVS V5.1.5: redirects only to allow-listed destinations).
 */

/** One allowed place: an exact origin (any path on it) or a URL prefix. */
export interface ReturnUrlRule {
  origin: string;
  /** "" for the whole origin; else a path prefix (such as `/activity/`). */
  pathPrefix: string;
}

/**
 * Parses WEB_RETURN_URLS: comma-separated `https://h5.example.com` (an origin) or
 * `https://example.com/activity/` (a prefix: end it with `/`, or `/act` also allows `/actx`).
 * @returns the rules, or a problem line naming the variable (values are not secret: echoed)
 */
export function parseReturnUrls(text: string, requireHttps: boolean): ReturnUrlRule[] | string {
  const rules: ReturnUrlRule[] = [];
  for (const raw of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return `  WEB_RETURN_URLS: ${JSON.stringify(raw)} is not a URL (expected https://host or https://host/path/)`;
    }
    if (url.protocol !== "https:" && (requireHttps || url.protocol !== "http:"))
      return `  WEB_RETURN_URLS: ${JSON.stringify(raw)} must be https${requireHttps ? " in production" : " (or http outside production)"}`;
    if (url.search || url.hash || url.username || url.password)
      return `  WEB_RETURN_URLS: ${JSON.stringify(raw)} must be an origin or a path prefix, without query, fragment or credentials`;
    rules.push({ origin: url.origin, pathPrefix: url.pathname === "/" ? "" : url.pathname });
  }
  return rules.length ? rules : "  WEB_RETURN_URLS: must list at least one origin or URL prefix";
}

/**
 * Whether a login may return to `returnTo`.
 * @returns the URL to redirect to (normalised, its own fragment dropped: tongxing writes the
 *   fragment), or null when it is not on the list
 */
export function allowedReturnUrl(rules: readonly ReturnUrlRule[], returnTo: string): URL | null {
  let url: URL;
  try {
    url = new URL(returnTo);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  const allowed = rules.some((r) => r.origin === url.origin && url.pathname.startsWith(r.pathPrefix));
  if (!allowed) return null;
  url.hash = "";
  return url;
}
