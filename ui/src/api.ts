// The JSON API client: one fetch wrapper that sends the CSRF token on
// writes and turns the API's error body into an ApiError.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
  ) {
    super(message);
  }
}

let csrf = "";

/** setCSRF stores the token from login or GET /session. */
export function setCSRF(token: string) {
  csrf = token;
}

const base = "/api/v1";

let onUnauthorized: (() => void) | null = null;

/**
 * setUnauthorizedHandler sets what happens when the server no longer knows
 * the session (it expired or was revoked): the app shows the login page
 * instead of an error in every view. null turns it off (logged out).
 */
export function setUnauthorizedHandler(f: (() => void) | null) {
  onUnauthorized = f;
}

/** api calls one endpoint; body is JSON-encoded. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "network", String(e));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    // A failed login is answered on the login form, not by this hook.
    if (res.status === 401 && !(method === "POST" && path === "/session") && onUnauthorized) onUnauthorized();
    const e = data?.error ?? {};
    throw new ApiError(res.status, e.code ?? "internal", e.message ?? res.statusText, e.field);
  }
  return data as T;
}

/** qs builds a query string from the set values of params. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "" || v === false) continue;
    u.set(k, v === true ? "1" : String(v));
  }
  const s = u.toString();
  return s ? "?" + s : "";
}

/** items unwraps a list response: the API sends {"items":[...]}. */
export function items<T>(x: T[] | { items: T[] | null } | null | undefined): T[] {
  if (!x) return [];
  if (Array.isArray(x)) return x;
  return x.items ?? [];
}
