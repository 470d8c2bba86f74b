// Incidents on the command map. Below zoom 14: the server's incident tiles (clusters with
// counts, or the density layer) — never a million markers. From zoom 14: the cases in view,
// filtered, as clustered markers that open the case drawer.
import * as api from "./api.js";
import * as catalog from "./catalog.js";
import * as config from "./config.js";
import * as mapmod from "./map.js";
import { stateBadge } from "./workflow.js";
import { t } from "./i18n.js";

const L = window.L;
export const DETAIL_ZOOM = 14;
const LIMIT = 500;

let map = null;
let cluster = null;
let tiles = null;
let filters = {};
let onOpen = () => {};
let onList = () => {};
let seq = 0;
const markers = new Map();

export function bboxParam() {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(",");
}

/** Query parameters of the current filters (shared with the list and the KPI counts). */
export function filterParams(f = filters) {
  const p = {};
  if (f.category) p.category = f.category;
  if (f.state) p.state = f.state;
  if (f.overdue) p.overdue = "true";
  if (f.window && f.window !== "all") {
    const hours = { "24h": 24, "7d": 168, "30d": 720, "90d": 2160 }[f.window];
    if (hours) p.reported_from = new Date(Date.now() - hours * 3600e3).toISOString();
  }
  return p;
}

function icon(kase) {
  const b = stateBadge(kase);
  return L.divIcon({
    className: `case-pin ${b.cls}`,
    html: `<span aria-hidden="true">${b.sym}</span>`,
    iconSize: [22, 22],
  });
}

function addMarker(kase, flash = false) {
  if (!cluster) return;
  let m = markers.get(kase.case_no);
  if (m) {
    m.setIcon(icon(kase));
  } else {
    m = L.marker([kase.lat, kase.lon], {
      icon: icon(kase),
      title: `${kase.case_no} ${kase.category?.name || ""} ${t(`state.${kase.state}`)}`,
      alt: kase.case_no,
    });
    m.on("click", () => onOpen(kase.case_no));
    markers.set(kase.case_no, m);
    cluster.addLayer(m);
  }
  if (flash) {
    const el = m.getElement();
    if (el) {
      el.classList.add("flash");
      setTimeout(() => el.classList.remove("flash"), 4000);
    }
  }
  return m;
}

export async function refresh() {
  if (!map) return;
  const detail = map.getZoom() >= DETAIL_ZOOM;
  if (tiles) (detail ? map.removeLayer(tiles) : tiles.addTo(map));
  const mine = ++seq;
  if (!config.has("/api/v1/cases")) return onList(null);
  const q = { ...filterParams(), bbox: bboxParam(), limit: detail ? LIMIT : 50, sort: "-reported_at" };
  const data = await api.get(`/api/v1/cases${api.qs(q)}`).catch((e) => ({ error: e }));
  if (mine !== seq) return;
  if (data.error) return onList(data);
  if (detail) {
    if (!(await ensureCluster()) || mine !== seq) return;
    const keep = new Set(data.items.map((k) => k.case_no));
    for (const [no, m] of markers) if (!keep.has(no)) { cluster.removeLayer(m); markers.delete(no); }
    data.items.forEach((k) => addMarker(k));
  } else {
    cluster?.clearLayers();
    markers.clear();
  }
  onList(data);
}

/** A new or changed case from the live feed: on the map at once, with a flash. */
export function live(kase) {
  if (!map) return null;
  if (map.getZoom() < DETAIL_ZOOM) {
    const pulse = L.circleMarker([kase.lat, kase.lon], { radius: 14, color: "#b3261e", weight: 3, className: "flash-ring", interactive: false }).addTo(map);
    setTimeout(() => map.removeLayer(pulse), 5000);
    if (tiles) tiles.redraw();
    return pulse;
  }
  return addMarker(kase, true);
}

/** Colour of a value from registry steps [[from, colour], …]. */
function step(steps, value, fallback) {
  let out = fallback;
  for (const [lo, colour] of steps || []) if (Number(value) >= Number(lo)) out = colour;
  return out;
}

function densityStyle(style = {}) {
  const prop = style.choropleth?.property || "count";
  return (p) => ({
    fill: true, stroke: false, weight: 0, fillOpacity: style.fill_opacity ?? 0.6,
    fillColor: step(style.choropleth?.steps, p[prop] ?? 1, "#d7301f"),
  });
}

function pointStyle(style = {}) {
  const cl = style.cluster || {};
  return (p) => {
    if (p.cluster) {
      const n = Number(p[cl.count_property || "count"] ?? 1);
      const open = Number(p[cl.open_property || "open_count"] ?? 0);
      const radius = (cl.steps || [[1, 12]]).reduce((r, [lo, px]) => (n >= lo ? px : r), 8) / 2 + 2;
      return { radius, fill: true, fillColor: cl.color || "#3182bd", fillOpacity: open ? 0.8 : 0.45, color: "#fff", weight: 2 };
    }
    const c = style.classes?.[p[style.by || "class_code"]]?.color || "#3182bd";
    return { radius: style.radius || 5, fill: true, fillColor: c, fillOpacity: 0.9, color: p.overdue ? style.overdue_color || "#f00" : "#fff", weight: p.overdue ? 3 : 1 };
  };
}

let specs = [];

/** What the map shows below DETAIL_ZOOM: "incidents" (clusters with counts) or "incident_density". */
export function setLowZoom(id) {
  const spec = specs.find((l) => l.id === id) || specs.find((l) => l.id === "incidents");
  if (tiles) map.removeLayer(tiles);
  tiles = null;
  if (!spec) return;
  tiles = L.vectorGrid.protobuf(catalog.tileUrl([spec.id]), {
    rendererFactory: L.canvas.tile,
    maxNativeZoom: DETAIL_ZOOM,
    interactive: false,
    vectorTileLayerStyles: { incident_density: densityStyle(spec.style), incidents: pointStyle(spec.style) },
  });
  if (map.getZoom() < DETAIL_ZOOM) tiles.addTo(map);
}

export async function mount(m, opts) {
  map = m;
  onOpen = opts.onOpen;
  onList = opts.onList;
  filters = opts.filters;
  map.on("moveend", refresh);
  const listed = refresh();
  // The incident tiles come after the boundaries, so the map is usable first.
  specs = (await catalog.load().catch(() => [])).filter((l) => catalog.SPECIAL.has(l.id));
  await mapmod.firstTiles();
  if (map !== m) return;
  setLowZoom(opts.density ? "incident_density" : "incidents");
  await listed;
}

/** Case markers (zoom 14 and closer) cluster with Leaflet.markercluster, loaded when first needed. */
async function ensureCluster() {
  if (cluster) return cluster;
  config.stylesheet("markercluster", "dist/MarkerCluster.css");
  config.stylesheet("markercluster", "dist/MarkerCluster.Default.css");
  await config.script("markercluster", "dist/leaflet.markercluster.js");
  if (!map || cluster) return cluster;
  cluster = L.markerClusterGroup({ maxClusterRadius: 50, chunkedLoading: true, showCoverageOnHover: false });
  map.addLayer(cluster);
  return cluster;
}

export function setFilters(f) {
  filters = f;
  refresh();
}

export function unmount() {
  if (!map) return;
  map.off("moveend", refresh);
  if (cluster) map.removeLayer(cluster);
  if (tiles) map.removeLayer(tiles);
  cluster = tiles = null;
  markers.clear();
  map = null;
}
