// Draw a polygon on the map (Leaflet-Geoman, loaded on demand) and count what is inside it:
// cases, facilities and grids, from POST /api/v1/within.
import * as api from "./api.js";
import * as config from "./config.js";
import { h } from "./ui.js";
import { t } from "./i18n.js";

let mapRef = null;
let shape = null;
let onCreate = null;

export async function mount(map, el) {
  mapRef = map;
  if (!config.has("/api/v1/within", "POST")) return;
  el.append(h("h2", {}, t("draw.title")),
    h("button.action.secondary", { type: "button", id: "draw-btn", onclick: start }, `✎ ${t("draw.start")}`),
    h("div", { id: "draw-out", "aria-live": "polite" }));
}

async function start() {
  config.stylesheet("geoman", "dist/leaflet-geoman.css");
  await config.script("geoman", "dist/leaflet-geoman.min.js");
  const map = mapRef;
  if (shape) map.removeLayer(shape);
  if (!onCreate) {
    onCreate = (e) => {
      shape = e.layer;
      count(shape.toGeoJSON().geometry);
    };
    map.on("pm:create", onCreate);
  }
  map.pm.setLang(document.documentElement.lang === "en" ? "en" : "zh");
  map.pm.enableDraw("Polygon", { snappable: false, finishOn: "dblclick" });
}

async function count(geometry) {
  const out = document.getElementById("draw-out");
  if (!out) return;
  out.textContent = "…";
  try {
    const r = await api.post("/api/v1/within", { geometry, limit: 50 });
    out.replaceChildren(h("dl.facts", {},
      h("dt", {}, t("draw.area")), h("dd", {}, `${(r.area_m2 / 1e6).toFixed(2)} km²`),
      h("dt", {}, t("draw.cases")), h("dd", {}, String(r.cases.total)),
      h("dt", {}, t("draw.facilities")), h("dd", {}, String(r.facilities.total)),
      h("dt", {}, t("draw.grids")), h("dd", {}, String(r.grids.total))));
  } catch (e) {
    out.replaceChildren(h("p.error", {}, e.message));
  }
}

export function unmount() {
  if (!mapRef) return;
  if (shape) mapRef.removeLayer(shape);
  if (onCreate) mapRef.off("pm:create", onCreate);
  if (mapRef.pm) mapRef.pm.disableDraw();
  shape = onCreate = null;
}
