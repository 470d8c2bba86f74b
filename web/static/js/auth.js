// Who is signed in. With the accounts API: OAuth2 password flow at POST /auth/token (bearer
// access token, rotated refresh token), then GET /auth/me for role, grids and department.
// Servers without it (older test set-ups) take the development headers X-Gridmap-User/Role.
import * as config from "./config.js";

const KEY = "gridmap.session";
let session = JSON.parse(localStorage.getItem(KEY) || "null");
const listeners = [];

export const user = () => session;
export const role = () => session?.role || "anonymous";
export const onChange = (fn) => listeners.push(fn);
export const hasAccounts = () => config.has("/auth/token", "POST");

function save(next, notify = true) {
  session = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  if (notify) listeners.forEach((fn) => fn(session));
}

/** Headers that say who is calling. */
export function headers() {
  if (!session) return {};
  if (session.token) return { Authorization: `Bearer ${session.token}` };
  const h = { "X-Gridmap-User": session.username, "X-Gridmap-Role": session.role };
  if (session.grids?.length) h["X-Gridmap-Grids"] = session.grids.join(",");
  if (session.department) h["X-Gridmap-Department"] = session.department;
  return h;
}

async function tokenRequest(fields) {
  const res = await fetch("/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams(fields),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail?.message || data.message || (typeof data.detail === "string" ? data.detail : `HTTP ${res.status}`));
  return data;
}

async function whoAmI(token) {
  if (!config.has("/auth/me")) return {};
  const res = await fetch("/auth/me", { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
  return res.ok ? res.json() : {};
}

/** Sign in with the accounts API, or (servers without it) as `role` with the dev headers. */
export async function signIn({ username, password, role }) {
  if (!hasAccounts()) {
    // Development sign-in: demo grid workers are named wg<15-digit grid code>.
    const m = /^wg(\d{15})$/.exec(username);
    save({ username, role: role || "viewer", grids: m ? [m[1]] : [], department: null, display: username, dev: true });
    return session;
  }
  const tok = await tokenRequest({ grant_type: "password", username, password });
  const me = await whoAmI(tok.access_token);
  save({
    username: tok.username || username,
    role: me.role || tok.role,
    grids: me.grids || [],
    department: me.department || null,
    display: me.display_name || tok.username || username,
    token: tok.access_token,
    refresh: tok.refresh_token,
    expires_at: Date.now() + (tok.expires_in || 900) * 1000,
  });
  return session;
}

let refreshing = null;
/** A fresh access token from the refresh token (rotated); false when that is not possible. */
export function refresh() {
  if (!session?.refresh || !navigator.onLine) return Promise.resolve(false);
  refreshing ??= tokenRequest({ grant_type: "refresh_token", refresh_token: session.refresh })
    .then((tok) => {
      save({ ...session, token: tok.access_token, refresh: tok.refresh_token, expires_at: Date.now() + (tok.expires_in || 900) * 1000 }, false);
      return true;
    })
    .catch(() => false)
    .finally(() => (refreshing = null));
  return refreshing;
}

/** Refresh ahead of expiry (a minute early), so a call rarely meets an expired token. */
export async function fresh() {
  if (session?.token && session.expires_at && Date.now() > session.expires_at - 60e3) await refresh();
}

export async function signOut() {
  if (session?.refresh && config.has("/auth/logout", "POST")) {
    fetch("/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: session.refresh }),
    }).catch(() => {});
  }
  save(null);
}
