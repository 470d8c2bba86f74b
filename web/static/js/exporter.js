// Export from the dashboard: the chosen layer with the view's filters that the export endpoint
// takes (bbox of the map view, the time window, the selected community, and for cases the
// list's category, state and overdue filters as CQL2) in one of its formats
// (GET /exchange/export/{layer}). Shown only to the roles that route allows.
import "./messages/analysis.js";
import * as auth from "./auth.js";
import * as config from "./config.js";
import * as mapmod from "./map.js";
import { download } from "./download.js";
import { h, toast } from "./ui.js";
import { t } from "./i18n.js";

// The roles GET /exchange/export/{layer} allows (api/routes/exchange.py; admin passes all).
export const EXPORTERS = ["commander", "supervisor", "field_staff", "handler", "planner", "viewer", "admin"];
export const LAYERS = ["cases", "grids", "communities", "townships", "facilities", "projects"];
export const FORMATS = { gpkg: "GeoPackage", shp: "Shapefile (zip)", geojson: "GeoJSON", csv: "CSV", xlsx: "Excel (XLSX)" };
const TIMED = new Set(["cases", "facilities", "projects"]);

export const mayExport = () => EXPORTERS.includes(auth.role()) && config.has("/exchange/export/{layer}");

function bbox(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(",");
}

const OPEN_SET = "reported,registered,dispatched,processing,responded,suspended";

/** CQL2 text for the case filters of the list (category, state, overdue), or "" for none.
 * Values are checked against fixed forms here; the server checks them against the queryables. */
export function caseFilter({ category, state, overdue } = {}) {
  const parts = [];
  if (/^\d{2}$/.test(category || "")) parts.push(`class_code = '${category}'`);
  else if (/^\d{4}$/.test(category || "")) parts.push(`category_code = '${category}'`);
  if (state === OPEN_SET) parts.push("open = true");
  else if (/^[a-z_]+$/.test(state || "")) parts.push(`state = '${state}'`);
  if (overdue) parts.push("overdue = true");
  return parts.join(" AND ");
}

/** The export URL for `layer` in `format` with the current filters. */
export function exportUrl({ layer, format, map, inView, from, community, cases }) {
  const q = new URLSearchParams({ format });
  if (inView && map) q.set("bbox", bbox(map));
  if (from && TIMED.has(layer)) q.set("datetime", `${from}/..`);
  if (community && /^\d{12}$/.test(community)) q.set("community", community);
  const cql = layer === "cases" ? caseFilter(cases) : "";
  if (cql) q.set("filter", cql);
  return `/exchange/export/${encodeURIComponent(layer)}?${q}`;
}

/** The export box; `filters()` gives {from, community} of the view at the time of export. */
export function box(filters) {
  const wrap = h("section.export-box", { id: "export", "aria-labelledby": "export-h" }, h("h2", { id: "export-h" }, t("export.title")));
  if (!mayExport()) return wrap.append(h("p.muted", {}, t("export.noRight"))), wrap;
  const active = new Set(mapmod.activeLayers());
  const f = h("form.form", { id: "export-form" },
    h("label", { for: "ex-layer" }, h("span", {}, t("export.layer")),
      h("select", { id: "ex-layer", name: "layer" }, LAYERS.map((l) =>
        h("option", { value: l, selected: l === "cases" }, `${t(`layer.${l}`)}${active.has(l) ? " ✓" : ""}`)))),
    h("label", { for: "ex-format" }, h("span", {}, t("export.format")),
      h("select", { id: "ex-format", name: "format" }, Object.entries(FORMATS).map(([k, v]) => h("option", { value: k }, v)))),
    h("label.check", { for: "ex-bbox" }, h("input", { id: "ex-bbox", name: "bbox", type: "checkbox", checked: true }), ` ${t("export.bbox")}`),
    h("label.check", { for: "ex-window" }, h("input", { id: "ex-window", name: "window", type: "checkbox", checked: true }), ` ${t("export.window")}`),
    h("div.actions", {}, h("button.action.secondary", { type: "submit", id: "ex-go" }, `⬇ ${t("export.go")}`)),
    h("p", { id: "ex-out", role: "status", "aria-live": "polite" }));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = f.querySelector("#ex-out");
    const btn = f.querySelector("#ex-go");
    const { from, community, cases } = filters();
    const url = exportUrl({
      layer: f.layer.value, format: f.format.value, map: mapmod.get(), inView: f.bbox.checked,
      from: f.window.checked ? from : null, community, cases,
    });
    btn.disabled = true;
    out.replaceChildren(h("span.spinner", { "aria-hidden": "true" }), ` ${t("export.running")}`);
    try {
      const r = await download(url, `${f.layer.value}.${f.format.value}`);
      out.textContent = `✔ ${t("export.done", { n: r.count ?? "?", file: r.name })}`;
      out.dataset.count = String(r.count ?? "");
    } catch (err) {
      out.textContent = `✕ ${t("export.failed")}: ${err.message}`;
      toast(`${t("export.failed")}: ${err.message}`, 6000);
    } finally {
      btn.disabled = false;
    }
  });
  wrap.append(f);
  return wrap;
}
