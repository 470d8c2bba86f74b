// Grid balance (planning): households per grid against a band (default 300–500) from
// GET /api/v1/analysis/balance; grids coloured on the map by their flag (colour plus outline
// style), a summary with symbols and words, the outliers listed, and suggested grid counts.
import "./messages/analysis.js";
import * as api from "./api.js";
import * as catalog from "./catalog.js";
import { running } from "./coverage.js";
import { h } from "./ui.js";
import { t } from "./i18n.js";

const L = window.L;
export const FLAGS = {
  under: { sym: "▼", color: "#d9822b", style: { color: "#a35200", weight: 2, dashArray: "5 3", fill: true, fillColor: "#f0a35e", fillOpacity: 0.45 } },
  within: { sym: "●", color: "#2e8b57", style: { color: "#1e6b3e", weight: 1, fill: true, fillColor: "#7cc59a", fillOpacity: 0.3 } },
  over: { sym: "▲", color: "#b3261e", style: { color: "#8c1d18", weight: 3.5, fill: true, fillColor: "#e0645c", fillOpacity: 0.5 } },
};
const NOT_JUDGED = { color: "#8a8f98", weight: 0.5, fill: false };
let overlay = null;
let mapRef = null;
let seq = 0;

function form(onRun) {
  const f = h("form.form.analysis", { id: "balance-form", "aria-labelledby": "balance-h" },
    h("h2", { id: "balance-h" }, t("bal.title")),
    h("div.row", {},
      h("label", { for: "bal-min" }, h("span", {}, t("bal.min")),
        h("input", { id: "bal-min", name: "min", type: "number", min: 1, max: 100000, value: 300, required: true, inputmode: "numeric" })),
      h("label", { for: "bal-max" }, h("span", {}, t("bal.max")),
        h("input", { id: "bal-max", name: "max", type: "number", min: 2, max: 100000, value: 500, required: true, inputmode: "numeric" }))),
    h("label", { for: "bal-scope" }, h("span", {}, t("bal.scope")),
      h("select", { id: "bal-scope", name: "scope" }, ["urban", "rural", "all"].map((s) => h("option", { value: s }, t(`scope.${s}`))))),
    h("div.actions", {}, h("button.action", { type: "submit", id: "bal-run" }, t("bal.run"))),
    h("div", { id: "bal-out", "aria-live": "polite" }));
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    onRun({ min_households: f.min.value, max_households: f.max.value, scope: f.scope.value });
  });
  return f;
}

export function flagLabel(flag) {
  if (!flag) return `— ${t("bal.notJudged")}`;
  return `${FLAGS[flag].sym} ${t(`bal.${flag}`)}`;
}

function colourGrids(map, byCode) {
  clear();
  overlay = L.vectorGrid.protobuf(catalog.tileUrl(["grids"]), {
    rendererFactory: L.canvas.tile,
    maxNativeZoom: 16,
    interactive: false,
    vectorTileLayerStyles: {
      grids: (p) => (FLAGS[byCode.get(p.code)]?.style || NOT_JUDGED),
    },
  }).addTo(map);
}

async function zoomTo(code) {
  const filter = `code = '${code.replace(/\D/g, "")}'`;
  const data = await api.get(`/ogc/collections/grids/items${api.qs({ filter, "filter-lang": "cql2-text", limit: 1 })}`);
  if (data.features?.length && mapRef) mapRef.fitBounds(L.geoJSON(data.features[0]).getBounds(), { maxZoom: 16 });
}

function outliers(grids, names) {
  const out = grids.filter((g) => g.flag === "under" || g.flag === "over")
    .sort((a, b) => Math.abs(b.deviation) - Math.abs(a.deviation));
  if (!out.length) return h("p", { id: "bal-outliers" }, t("bal.none"));
  return h("table.register", { id: "bal-outliers" },
    h("caption", {}, t("bal.outliers")),
    h("thead", {}, h("tr", {}, ["bal.grid", "bal.community", "cov.households", "bal.deviation", "plan.status"]
      .map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, out.map((g) => h("tr", { dataset: { code: g.code, flag: g.flag } },
      h("th", { scope: "row" }, h("button.btn-link", { type: "button", onclick: () => zoomTo(g.code) }, g.name || g.code), " ",
        h("span.muted", {}, g.code)),
      h("td", {}, names.get(g.community_code) || g.community_code),
      h("td.num", {}, String(g.households)),
      h("td.num", {}, g.deviation > 0 ? `+${g.deviation}` : String(g.deviation)),
      h("td", {}, h("span", { class: `flag ${g.flag}` }, flagLabel(g.flag)))))));
}

function run(params) {
  const mine = ++seq;
  return running({
    out: document.getElementById("bal-out"), btn: document.getElementById("bal-run"), text: t("bal.running"),
    name: "balance", isCurrent: () => mine === seq,
    work: async () => {
      const r = await api.get(`/api/v1/analysis/balance${api.qs(params)}`);
      if (mine !== seq || !mapRef) return null;
      colourGrids(mapRef, new Map(r.grids.map((g) => [g.code, g.flag])));
      const names = new Map(r.communities.map((c) => [c.code, c.name]));
      const s = r.summary;
      return [
        h("ul.bal-summary", { id: "bal-summary" },
          ["under", "within", "over"].map((f) => h("li", { class: `flag ${f}`, dataset: { flag: f } }, `${flagLabel(f)} ${s[f]}`)),
          h("li.flag", { dataset: { flag: "not_judged" } }, `${flagLabel(null)} ${s.not_judged}`)),
        h("p.muted", {}, t("bal.legend")),
        outliers(r.grids, names),
        r.communities.length ? h("h3", {}, t("bal.suggest")) : "",
        r.communities.length ? h("ul.bal-suggest", {}, r.communities.map((c) =>
          h("li", {}, t("bal.suggestText", { name: c.name, grids: c.grids, hh: c.households, n: c.suggested_grids })))) : "",
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
