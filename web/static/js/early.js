// Runs as soon as it arrives, before Leaflet and the app's modules: starts the requests the
// first map needs (the layer catalogue for this caller, the district outline), so they are in
// by the time the map is made. The app takes them from window.gridmapEarly (null: ask again).
(() => {
  const json = (p) => p.then((r) => (r.ok ? r.json() : null)).catch(() => null);
  let cfg = {};
  let session = null;
  try {
    cfg = JSON.parse(document.getElementById("app-config")?.textContent || "{}");
    session = JSON.parse(localStorage.getItem("gridmap.session") || "null");
  } catch {
    // start without: the app asks again
  }
  const headers = { Accept: "application/json" };
  let usable = true;
  if (session?.token) {
    if (session.expires_at && Date.now() > session.expires_at - 60e3) usable = false; // the app refreshes it
    else headers.Authorization = `Bearer ${session.token}`;
  } else if (session) {
    headers["X-Gridmap-User"] = session.username;
    headers["X-Gridmap-Role"] = session.role;
    if (session.grids?.length) headers["X-Gridmap-Grids"] = session.grids.join(",");
    if (session.department) headers["X-Gridmap-Department"] = session.department;
  }
  const has = (route) => (cfg.routes || []).includes(route);
  window.gridmapEarly = {
    layers: usable && navigator.onLine && has("GET /api/v1/layers")
      ? json(fetch("/api/v1/layers", { headers, credentials: "same-origin" }))
      : Promise.resolve(null),
    district: json(fetch("/district.geojson")),
  };
})();
