// HTTP to the app: JSON in and out, who is calling, errors as exceptions with the server's text.
import * as auth from "./auth.js";
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    const msg = (body && (body.detail?.message || body.message || body.detail || body.title)) || `HTTP ${status}`;
    super(typeof msg === "string" ? msg : JSON.stringify(msg));
    this.status = status;
    this.body = body;
  }
}

// API paths open to anonymous callers; the others are not even tried before sign-in.
const PUBLIC = /^\/api\/v1\/(locate|nearest|nearby|convert|layers)\b/;

/** fetch() with the caller's credentials; parses JSON; throws ApiError on 4xx/5xx. */
export async function request(path, { method = "GET", json, body, headers = {}, signal, retried = false } = {}) {
  if (!auth.user() && path.startsWith("/api/") && !PUBLIC.test(path)) {
    throw new ApiError(401, { detail: { message: t("auth.required") } });
  }
  await auth.fresh();
  const h = { Accept: "application/json", ...auth.headers(), ...headers };
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  const res = await fetch(path, { method, headers: h, body, signal, credentials: "same-origin" });
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json().catch(() => null) : await res.text();
  if (res.status === 401 && !retried && (await auth.refresh())) {
    return request(path, { method, json, body: json === undefined ? body : undefined, headers, signal, retried: true });
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path, opts) => request(path, opts);
export const post = (path, json, opts = {}) => request(path, { ...opts, method: "POST", json });

/** Query string from an object, skipping empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length)) continue;
    u.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : "";
}
