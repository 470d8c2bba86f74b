// What the server says at start (in the page, else /app-config.json): vendor URLs, build, basemaps, API routes.
let cfg = { vendor: {}, basemaps: [], routes: [], build: "", env: "" };

export async function load() {
  // Written into the page by the server: no extra round trip before the map can start.
  const inline = document.getElementById("app-config");
  if (inline?.textContent.trim().startsWith("{")) {
    try {
      cfg = JSON.parse(inline.textContent);
      return cfg;
    } catch {
      // fall through to the network copy
    }
  }
  try {
    const res = await fetch("/app-config.json", { headers: { Accept: "application/json" } });
    if (res.ok) cfg = await res.json();
  } catch {
    // offline: the service worker normally answers; otherwise run with what we have
  }
  return cfg;
}

export const get = () => cfg;
export const vendor = (alias) => cfg.vendor[alias];

/** Whether the server has `METHOD /path` (path as declared, e.g. "/api/v1/cases/{case_id}"). */
export function has(path, method = "GET") {
  return cfg.routes.includes(`${method} ${path}`);
}

/** Load a vendor script once (lazy: charts, drawing). */
const loading = {};
export function script(alias, file) {
  const src = `${vendor(alias)}/${file}`;
  loading[src] ??= new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`failed to load ${src}`));
    document.head.append(el);
  });
  return loading[src];
}

export function stylesheet(alias, file) {
  const href = `${vendor(alias)}/${file}`;
  if (!document.querySelector(`link[href="${href}"]`)) {
    const el = document.createElement("link");
    el.rel = "stylesheet";
    el.href = href;
    document.head.append(el);
  }
}
