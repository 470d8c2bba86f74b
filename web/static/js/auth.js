// Who is signed in. Sign-in goes to the accounts API (POST /api/v1/auth/login → bearer token);
// where that API is absent (development/test/demo servers), the development headers
// X-Gridmap-User / X-Gridmap-Role are sent instead, as the server's security module describes.
import * as config from "./config.js";

const KEY = "gridmap.session";
let session = JSON.parse(localStorage.getItem(KEY) || "null");
const listeners = [];

export const user = () => session;
export const role = () => session?.role || "anonymous";
export const onChange = (fn) => listeners.push(fn);

function save(next) {
  session = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  listeners.forEach((fn) => fn(session));
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

/** Sign in with the accounts API, or (development servers) as `role` with the dev headers. */
export async function signIn({ username, password, role }) {
  if (!config.has("/api/v1/auth/login", "POST")) {
    // Development sign-in: demo grid workers are named wg<15-digit grid code>.
    const m = /^wg(\d{15})$/.exec(username);
    const grids = m ? [m[1]] : [];
    save({ username, role: role || "viewer", grids, department: null, display: username, dev: true });
    return session;
  }
  const res = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.ok) {
    const data = await res.json();
    const u = data.user || {};
    save({
      username: u.username || username,
      role: u.role || data.role,
      grids: u.grids || data.grids || [],
      department: u.department || data.department || null,
      display: u.display_name || u.name || username,
      token: data.access_token || data.token,
    });
    return session;
  }
  const body = await res.json().catch(() => ({}));
  throw new Error(body.detail?.message || body.message || body.detail || `HTTP ${res.status}`);
}

/** Update fields of the session (e.g. grids found after sign-in). */
export function update(fields) {
  if (session) save({ ...session, ...fields });
}

export async function signOut() {
  if (session?.token && config.has("/api/v1/auth/logout", "POST")) {
    fetch("/api/v1/auth/logout", { method: "POST", headers: headers() }).catch(() => {});
  }
  save(null);
}
