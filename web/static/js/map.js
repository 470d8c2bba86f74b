// The map: Leaflet with the district's own layers from vector tiles (no online basemap unless
// configured), the layer panel built from the catalogue, the legend, and the map state in the URL.
import * as catalog from "./catalog.js";
import * as config from "./config.js";
import * as i18n from "./i18n.js";
import * as urlstate from "./urlstate.js";
import { t } from "./i18n.js";
import { toGcj02Layer } from "./basemaps.js";

const L = window.L;
// Leaflet.VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed.
L.DomEvent.fakeStop ??= L.DomEvent.stopPropagation;

export const HOME = { lat: 36.53, lon: 102.45, z: 10 };
export const BOUNDS = L.latLngBounds([36.2, 102.09], [36.86, 102.8]);

let map;
let district = null; // GeoJSON MultiPolygon coordinates of the real outline
let layers = [];
let active = [];
let tileLayer = null;
let highlight = new Set(); // my grids (or communities): drawn thick and orange
const featureClick = [];
let tilesDrawn;
const firstTilesDrawn = new Promise((resolve) => (tilesDrawn = resolve));

/** Resolves when the first boundary tiles are on the map (or there are none to draw). */
export function firstTiles(timeoutMs = 15000) {
  return Promise.race([firstTilesDrawn, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
}

/** Leaflet path options from a registry style (its keys, Leaflet's, or Mapbox-like paint keys). */
export function pathStyle(style = {}, geometryType = "") {
  const polygon = /polygon/i.test(geometryType);
  const s = { weight: 1, color: "#555", fill: polygon, fillOpacity: 0.05 };
  const keys = {
    color: "color", stroke: "color", "line-color": "color", lineColor: "color",
    weight: "weight", stroke_width: "weight", "line-width": "weight", width: "weight",
    fillColor: "fillColor", fill: "fillColor", "fill-color": "fillColor",
    fillOpacity: "fillOpacity", fill_opacity: "fillOpacity", "fill-opacity": "fillOpacity",
    opacity: "opacity", stroke_opacity: "opacity", "line-opacity": "opacity",
    dashArray: "dashArray", dash: "dashArray", "line-dasharray": "dashArray",
    radius: "radius", "circle-radius": "radius",
  };
  for (const [k, v] of Object.entries(style)) {
    if (!(k in keys)) continue;
    if (v === null && ["stroke", "color", "line-color"].includes(k)) s.stroke = false;
    else if (typeof v === "string" || typeof v === "number") s[keys[k]] = v;
    else if (Array.isArray(v)) s[keys[k]] = v.join(" ");
  }
  if (s.fillColor && !polygon) s.fill = true;
  if (/point/i.test(geometryType)) {
    Object.assign(s, { radius: s.radius || 5, fill: true, fillOpacity: style.fill_opacity ?? style.fillOpacity ?? 0.85, weight: s.weight ?? 1 });
    if (!style.stroke && !style.color) s.color = "#fff";
    s.fillColor ||= style.color || "#3182bd";
  }
  return s;
}

export function create(el, { minimal = false } = {}) {
  const st = urlstate.read().map || HOME;
  map = L.map(el, {
    center: [st.lat, st.lon],
    zoom: st.z,
    minZoom: 8,
    maxZoom: 18,
    maxBounds: BOUNDS.pad(0.5),
    zoomControl: !minimal,
    preferCanvas: true,
    attributionControl: true,
  });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(t("map.attribution"));
  addBasemaps();
  loadDistrict();
  map.on("moveend", () => {
    const c = map.getCenter();
    urlstate.write({ m: `${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}` });
  });
  return map;
}

export const get = () => map;

async function loadDistrict() {
  try {
    let gj = await window.gridmapEarly?.district; // started by early.js with the page
    if (!gj) {
      const res = await fetch("/district.geojson");
      if (!res.ok) return;
      gj = await res.json();
    }
    const geom = gj.features ? gj.features[0].geometry : gj.geometry || gj;
    district = geom.type === "Polygon" ? [geom.coordinates] : geom.coordinates;
    L.geoJSON(gj, {
      interactive: false,
      style: { color: "#1d2b3a", weight: 3, fill: false, opacity: 0.9 },
    }).addTo(map);
  } catch (e) {
    console.warn("district outline", e);
  }
}

function inRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether a WGS84 point is inside the district outline (null while it is not loaded). */
export function insideDistrict(lon, lat) {
  if (!district) return null;
  return district.some((poly) => inRing(poly[0], lon, lat) && !poly.slice(1).some((h) => inRing(h, lon, lat)));
}

function addBasemaps() {
  // Off by default: the platform works with no internet. Configured by the operator's settings.
  for (const b of config.get().basemaps || []) {
    if (b.id === "tianditu" && b.key) {
      L.tileLayer(`https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(b.key)}`,
        { subdomains: "01234567", attribution: "天地图" }).addTo(map);
    } else if (b.id === "amap") {
      toGcj02Layer(map);
    }
  }
}

/** Load the catalogue, show the layers named in the URL (or the defaults), build the panel. */
export async function loadLayers(panelEl, legendEl) {
  try {
    layers = (await catalog.load()).filter((l) => !catalog.SPECIAL.has(l.id));
  } catch (e) {
    console.warn("layer catalogue", e);
    layers = [];
  }
  const fromUrl = urlstate.read().layers;
  const known = new Set(layers.map((l) => l.id));
  active = (fromUrl || catalog.DEFAULT_ON).filter((id) => known.has(id));
  renderPanel(panelEl);
  renderLegend(legendEl);
  refreshTiles();
  i18n.onChange(() => {
    renderPanel(panelEl);
    renderLegend(legendEl);
  });
}

export const activeLayers = () => [...active];
export const layerInfo = () => layers;
export const onFeatureClick = (fn) => featureClick.push(fn);

/** Outline these grid or community codes ("my grids" of a field worker). */
export function setHighlight(codes) {
  const next = new Set(codes || []);
  if ([...next].join() === [...highlight].join()) return;
  highlight = next;
  if (map && layers.length) refreshTiles();
}
const HIGHLIGHT = { color: "#f5a623", weight: 4, fill: true, fillColor: "#f5a623", fillOpacity: 0.12 };
export function offFeatureClick(fn) {
  const i = featureClick.indexOf(fn);
  if (i >= 0) featureClick.splice(i, 1);
}

function setActive(ids) {
  active = layers.map((l) => l.id).filter((id) => ids.includes(id));
  urlstate.write({ l: active.length ? active : "-" });
  refreshTiles();
}

function refreshTiles() {
  if (tileLayer) map.removeLayer(tileLayer);
  tileLayer = null;
  const ids = active.filter((id) => layers.find((l) => l.id === id));
  if (!ids.length) return tilesDrawn();
  const styles = {};
  for (const l of layers) {
    const base = pathStyle(l.style, l.geometry_type);
    styles[l.id] = (props, zoom) => {
      if (zoom < l.minzoom || zoom > l.maxzoom) return [];
      if (highlight.size && (highlight.has(props.code) || (l.id === "grids" && highlight.has(props.community_code)))) return HIGHLIGHT;
      return base;
    };
  }
  tileLayer = L.vectorGrid.protobuf(catalog.tileUrl(ids), {
    rendererFactory: L.canvas.tile,
    vectorTileLayerStyles: styles,
    interactive: true,
    className: "vt-clickable", // its canvases take clicks (Leaflet's tile panes do not)
    maxNativeZoom: 16,
    getFeatureId: (f) => (f.properties.code ? `${f.properties.code}` : undefined),
    attribution: "",
  });
  tileLayer.on("click", (e) => featureClick.forEach((fn) => fn(e.layer?.properties || {}, e)));
  tileLayer.once("load", () => tilesDrawn());
  tileLayer.addTo(map);
  tileLayer.bringToBack();
}

function renderPanel(el) {
  if (!el) return;
  el.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = t("layers.title");
  el.append(h);
  if (!layers.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = t("layers.none");
    el.append(p);
    return;
  }
  const ul = document.createElement("ul");
  ul.className = "layer-list";
  for (const l of layers) {
    const li = document.createElement("li");
    const id = `layer-${l.id}`;
    li.innerHTML = `<input type="checkbox" id="${id}"><label for="${id}"><span class="swatch"></span><span class="name"></span></label>`;
    const cb = li.querySelector("input");
    cb.checked = active.includes(l.id);
    cb.dataset.layer = l.id;
    const s = pathStyle(l.style, l.geometry_type);
    const sw = li.querySelector(".swatch");
    sw.style.borderColor = s.color;
    sw.style.background = s.fillColor || "transparent";
    if (/point/i.test(l.geometry_type)) sw.classList.add("point");
    li.querySelector(".name").textContent = i18n.pick(l);
    cb.addEventListener("change", () => {
      const ids = [...el.querySelectorAll("input:checked")].map((x) => x.dataset.layer);
      setActive(ids);
      renderLegend(document.getElementById("legend"));
    });
    ul.append(li);
  }
  el.append(ul);
}

function renderLegend(el) {
  if (!el) return;
  el.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = t("legend.title");
  el.append(h);
  const ul = document.createElement("ul");
  const real = document.createElement("li");
  real.innerHTML = '<span class="swatch district"></span> <span class="name"></span>';
  real.querySelector(".name").textContent = `${t("legend.district")} (${t("legend.real")})`;
  ul.append(real);
  for (const l of layers.filter((x) => active.includes(x.id))) {
    const li = document.createElement("li");
    const s = pathStyle(l.style, l.geometry_type);
    const illus = l.boundary_source === "illustrative";
    li.innerHTML = `<span class="swatch"></span> <span class="name"></span>${illus ? ' <span class="tag illustrative"></span>' : ""}`;
    const sw = li.querySelector(".swatch");
    sw.style.borderColor = s.color;
    sw.style.background = s.fillColor || "transparent";
    if (illus) sw.style.borderStyle = "dashed";
    li.querySelector(".name").textContent = i18n.pick(l);
    if (illus) li.querySelector(".tag").textContent = `※ ${t("legend.illustrative")}`;
    ul.append(li);
  }
  el.append(ul);
  const note = document.createElement("p");
  note.className = "legend-note";
  note.textContent = t("legend.note");
  el.append(note);
}
