// Service coverage (planning): pick a facility kind, run GET /api/v1/analysis/coverage, draw
// the reach of each facility and the uncovered gaps on the map, and list the share of
// households within reach per unit (a table with bars, lowest first).
import "./messages/analysis.js";
import * as api from "./api.js";
import * as config from "./config.js";
import { h, pct } from "./ui.js";
import { t } from "./i18n.js";

const L = window.L;
export const KINDS = [
  "service_station", "service_centre", "office_service_site", "mediation_centre", "police_room",
  "health_station", "elderly_care", "culture_sports", "commercial_outlet",
];
const GAP_STYLE = { color: "#b3261e", weight: 2, dashArray: "4 3", fillColor: "#b3261e", fillOpacity: 0.28 };
let overlay = null;
let mapRef = null;
let seq = 0;

/** A spinner with a status text while an analysis runs (announced to screen readers). */
export function busy(text) {
  return h("p.busy", { role: "status", "aria-live": "polite" },
    h("span.spinner", { "aria-hidden": "true" }), ` ${text}`,
    h("progress", { "aria-label": text }));
}

function form(onRun) {
  const f = h("form.form.analysis", { id: "coverage-form", "aria-labelledby": "coverage-h" },
    h("h2", { id: "coverage-h" }, t("cov.title")),
    h("label", { for: "cov-kind" }, h("span", {}, t("cov.kind")),
      h("select", { id: "cov-kind", name: "kind" }, KINDS.map((k) => h("option", { value: k }, t(`kind.${k}`))))),
    h("label", { for: "cov-reach" }, h("span", {}, t("cov.reach")),
      h("input", { id: "cov-reach", name: "reach", type: "number", min: 50, max: 5000, step: 50, inputmode: "numeric" })),
    h("label", { for: "cov-level" }, h("span", {}, t("cov.level")),
      h("select", { id: "cov-level", name: "level" },
        ["community", "grid", "township"].map((l) => h("option", { value: l }, t(`level.${l}`))))),
    h("label.check", { for: "cov-planned" }, h("input", { id: "cov-planned", name: "planned", type: "checkbox" }), ` ${t("cov.planned")}`),
    h("div.actions", {}, h("button.action", { type: "submit", id: "cov-run" }, t("cov.run"))),
    h("div", { id: "cov-out", "aria-live": "polite" }));
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    onRun({ kind: f.kind.value, reach: f.reach.value, level: f.level.value, include_planned: f.planned.checked });
  });
  return f;
}

function shareBar(share) {
  const v = share == null ? 0 : Math.round(share * 100);
  const cls = share == null ? "na" : share < 0.5 ? "low" : share < 0.8 ? "mid" : "high";
  return h("span.share", {},
    h("span", { class: `bar ${cls}`, style: `width:${v}%`, "aria-hidden": "true" }),
    h("span.share-text", {}, `${share == null ? "—" : pct(share)}${cls === "low" ? " ▼" : ""}`));
}

function table(units) {
  const rows = [...units].sort((a, b) => (a.household_share ?? 2) - (b.household_share ?? 2));
  return h("table.register.coverage", { id: "coverage-table" },
    h("caption", {}, t("cov.tableCaption")),
    h("thead", {}, h("tr", {}, ["cov.unit", "cov.households", "cov.covered", "cov.share", "cov.areaShare"]
      .map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, rows.map((u) => h("tr", { dataset: { code: u.code } },
      h("th", { scope: "row" }, `${u.name} `, h("span.muted", {}, u.code)),
      h("td.num", {}, String(u.households)),
      h("td.num", {}, String(u.covered_households)),
      h("td", {}, shareBar(u.household_share)),
      h("td.num", {}, u.area_share == null ? "—" : pct(u.area_share))))));
}

async function facilities(kind, includePlanned) {
  if (!config.has("/ogc/collections/{collectionId}/items") && !config.has("/ogc/collections/{collection_id}/items")) return [];
  // The statuses that serve are picked here (the kind is one of KINDS, never free text).
  const serving = includePlanned ? ["in_service", "under_construction", "planned"] : ["in_service"];
  const filter = `kind = '${KINDS.includes(kind) ? kind : ""}'`;
  const data = await api.get(`/ogc/collections/facilities/items${api.qs({ filter, "filter-lang": "cql2-text", limit: 1000 })}`);
  return (data.features || []).filter((f) => serving.includes(f.properties.status));
}

function draw(map, result, sites) {
  clear();
  overlay = L.featureGroup().addTo(map);
  for (const f of sites) {
    const [lon, lat] = f.geometry.coordinates;
    const planned = f.properties.status !== "in_service";
    L.circle([lat, lon], {
      radius: result.reach_m, color: "#1d4f7a", weight: 1.5, dashArray: planned ? "6 4" : null,
      fillColor: "#2b6ca3", fillOpacity: 0.12, interactive: true,
    }).bindTooltip(t("cov.reachTip", { name: f.properties.name, status: f.properties.status_name || f.properties.status, reach: result.reach_m }))
      .addTo(overlay);
    L.circleMarker([lat, lon], { radius: 4, color: "#fff", weight: 1, fillColor: "#1d4f7a", fillOpacity: 1, interactive: false }).addTo(overlay);
  }
  L.geoJSON(result.gaps || { type: "FeatureCollection", features: [] }, {
    style: () => GAP_STYLE,
    onEachFeature: (feat, layer) => layer.bindTooltip(t("cov.gapTip", { hh: feat.properties.households, n: feat.properties.dwellings })),
  }).addTo(overlay);
}

function legend() {
  return h("ul.analysis-legend", {},
    h("li", {}, h("span.swatch.reach", { "aria-hidden": "true" }), ` ◯ ${t("cov.legendReach")}`),
    h("li", {}, h("span.swatch.gap", { "aria-hidden": "true" }), ` ▨ ${t("cov.legendGap")}`));
}

/** Run an analysis: the button off and a progress line while `work()` runs; its nodes (or
 * the error) then fill `out`. Only the latest run (`isCurrent()`) writes. */
export async function running({ out, btn, text, name, isCurrent, work }) {
  btn.disabled = true;
  out.replaceChildren(busy(text));
  document.body.dataset.analysis = "running";
  try {
    const nodes = await work();
    if (!isCurrent() || !nodes) return;
    out.replaceChildren(...nodes);
    document.body.dataset.analysis = name;
  } catch (e) {
    if (isCurrent()) out.replaceChildren(h("p.error", { role: "alert" }, e.message));
    document.body.dataset.analysis = "error";
  } finally {
    if (isCurrent()) btn.disabled = false;
  }
}

function run(params) {
  const out = document.getElementById("cov-out");
  const mine = ++seq;
  return running({
    out, btn: document.getElementById("cov-run"), text: t("cov.running"), name: "coverage", isCurrent: () => mine === seq,
    work: async () => {
      const q = { kind: params.kind, level: params.level, include_planned: params.include_planned || null, reach: params.reach || null, max_gaps: 200 };
      const [result, sites] = await Promise.all([
        api.get(`/api/v1/analysis/coverage${api.qs(q)}`),
        facilities(params.kind, params.include_planned).catch(() => []),
      ]);
      if (mine !== seq || !mapRef) return null;
      draw(mapRef, result, sites);
      const gaps = result.gaps?.features || [];
      const tot = result.total;
      Object.assign(out.dataset, { sites: String(sites.length), gaps: String(gaps.length) });
      return [
        h("p.summary", { id: "cov-total" }, t("cov.total", {
          share: pct(tot.household_share), reach: result.reach_m, covered: tot.covered_households, households: tot.households,
        })),
        h("p", { id: "cov-gaps" }, t("cov.gaps", { n: gaps.length, hh: gaps[0]?.properties.households ?? 0 })),
        legend(),
        h("p.muted", {}, t("cov.measure")),
        table(result.units),
      ];
    },
  });
}

export function mount(map, el) {
  mapRef = map;
  el.replaceChildren(form(run));
}

export function clear() {
  if (overlay && mapRef) mapRef.removeLayer(overlay);
  overlay = null;
}

export function unmount() {
  seq++;
  clear();
  mapRef = null;
}
