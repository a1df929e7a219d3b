/**
 * The admin API as the console calls it: every call with `Authorization: Bearer <ADMIN_TOKEN>`.
 * The token lives in sessionStorage only (never in the URL, a cookie or localStorage), and is
 * forgotten on sign-out and on any 401.
 */
const KEY = "tongxing.adminToken";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value: string) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Called when the API refuses the token (401): the console signs out. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/**
 * Calls the admin API. `path` is under /admin (e.g. "/users/42").
 * @throws ApiError with the server's code and message (and signs out on 401)
 */
export async function api<T>(method: string, path: string, body?: unknown, credential = token.get()): Promise<T> {
  const res = await fetch(`/admin${path}`, {
    method,
    headers: {
      authorization: `Bearer ${credential ?? ""}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (res.ok) return json as T;
  const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (res.status === 401) {
    token.clear();
    onUnauthorized();
  }
  throw new ApiError(res.status, error?.code ?? "HTTP_ERROR", error?.message ?? `HTTP ${res.status}`);
}
