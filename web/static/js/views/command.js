// View: the command centre — filters, KPIs for the view or a chosen unit, clustered incidents,
// the case list, the case drawer, grid cards and the live feed with a visible flash.
import * as auth from "../auth.js";
import * as config from "../config.js";
import * as drawer from "../drawer.js";
import * as gridcard from "../gridcard.js";
import * as i18n from "../i18n.js";
import * as incidents from "../incidents.js";
import * as kpi from "../kpi.js";
import * as live from "../live.js";
import * as mapmod from "../map.js";
import * as ui from "../ui.js";
import * as urlstate from "../urlstate.js";
import { stateBadge } from "../workflow.js";
import { fmtTime, h } from "../ui.js";
import { t } from "../i18n.js";

const STATES = ["reported", "registered", "dispatched", "processing", "responded", "suspended", "closed", "cancelled"];
let offs = [];
let listEl = null;
let feedEl = null;

function readFilters() {
  const s = urlstate.read();
  return { category: s.fc || "", state: s.fs || "", window: s.fw || "30d", overdue: s.fo === "1", density: s.fd === "1" };
}

function filtersForm() {
  const f = readFilters();
  const cats = config.get().taxonomy?.categories || [];
  const form = h("form.form.filters", { id: "filters", "aria-labelledby": "filters-h" },
    h("h2", { id: "filters-h" }, t("filter.title")),
    h("label", { for: "fl-cat" }, h("span", {}, t("field.major")),
      h("select", { id: "fl-cat", name: "category" }, h("option", { value: "" }, t("filter.all")),
        cats.map((c) => h("option", { value: c.code, selected: c.code === f.category }, `${c.level === 2 ? "　" : ""}${c.code} ${i18n.pick(c, "name")}`)))),
    h("label", { for: "fl-state" }, h("span", {}, t("filter.state")),
      h("select", { id: "fl-state", name: "state" }, h("option", { value: "" }, t("filter.all")),
        h("option", { value: "reported,registered,dispatched,processing,responded,suspended", selected: f.state.startsWith("reported,") }, t("filter.open")),
        STATES.map((s) => h("option", { value: s, selected: s === f.state }, t(`state.${s}`))))),
    h("label", { for: "fl-win" }, h("span", {}, t("filter.window")),
      h("select", { id: "fl-win", name: "window" },
        ["24h", "7d", "30d", "90d", "all"].map((w) => h("option", { value: w, selected: w === f.window }, t(`window.${w}`))))),
    h("label.check", { for: "fl-od" }, h("input", { id: "fl-od", name: "overdue", type: "checkbox", checked: f.overdue }), ` ${t("filter.overdue")}`),
    h("label.check", { for: "fl-density" }, h("input", { id: "fl-density", name: "density", type: "checkbox", checked: f.density }), ` ${t("filter.density")}`),
  );
  form.density.addEventListener("change", (e) => {
    e.stopPropagation();
    urlstate.write({ fd: form.density.checked ? "1" : null });
    incidents.setLowZoom(form.density.checked ? "incident_density" : "incidents");
  });
  form.addEventListener("change", () => {
    const next = {
      category: form.category.value, state: form.state.value, window: form.window.value, overdue: form.overdue.checked,
    };
    urlstate.write({ fc: next.category, fs: next.state, fw: next.window === "30d" ? null : next.window, fo: next.overdue ? "1" : null });
    incidents.setFilters(next);
    kpi.refresh();
  });
  return form;
}

/** The filters the export endpoint takes: time window, chosen community, the case filters. */
function exportFilters() {
  const f = readFilters();
  const from = incidents.filterParams(f).reported_from || null;
  const s = kpi.currentScope();
  const community = s.level === "community" ? s.code : s.level === "grid" ? s.code.slice(0, 12) : null;
  return { from, community, cases: { category: f.category, state: f.state, overdue: f.overdue } };
}

function renderList(data) {
  if (!listEl) return;
  const head = h("h2", {}, t("list.title"));
  if (!data) return listEl.replaceChildren(head, h("p.muted", {}, t("list.unavailable")));
  if (data.error) return listEl.replaceChildren(head, h("p.error", {}, data.error.message || String(data.error)));
  ui.markData();
  listEl.replaceChildren(head,
    h("p.muted", {}, t("list.count", { n: data.total_exact === false ? `${data.total}+` : data.total, shown: Math.min(50, data.items.length) })),
    h("ul.cases", { id: "case-list" }, data.items.slice(0, 50).map(item)));
}

function item(k, fresh = false) {
  const b = stateBadge(k);
  return h("li", { class: fresh ? "flash" : "", dataset: { case: k.case_no } },
    h("button.case-row", { type: "button", onclick: () => drawer.open(k.case_no) },
      h("span", { class: `state ${b.cls}` }, `${b.sym} ${k.overdue ? t("state.overdue") : t(`state.${k.state}`)}`), " ",
      h("strong", {}, k.case_no), h("br"),
      h("span", {}, `${k.category?.name || k.category || ""} · ${k.community?.name || k.grid?.code || k.grid || ""}`), " ",
      h("span.muted", {}, fmtTime(k.reported_at || k.at))));
}

function onLive(ev) {
  if (!ev.case_no || ev.lon == null) return;
  const kase = {
    case_no: ev.case_no, lon: Number(ev.lon), lat: Number(ev.lat), state: ev.state || ev.to_state,
    category: { name: categoryName(ev.category) }, grid: { code: ev.grid }, reported_at: ev.at, overdue: ev.kind === "case.overdue",
  };
  incidents.live(kase);
  const list = document.getElementById("case-list");
  if (ev.kind === "case.created" && list) {
    list.querySelector(`li[data-case="${CSS.escape(ev.case_no)}"]`)?.remove();
    list.prepend(item(kase, true));
  }
  if (feedEl) {
    feedEl.textContent = `${t(ev.kind === "case.created" ? "live.new" : "live.changed")}: ${ev.case_no}`;
    feedEl.classList.remove("flash");
    void feedEl.offsetWidth;
    feedEl.classList.add("flash");
  }
  kpi.refresh();
}

function categoryName(code) {
  const c = (config.get().taxonomy?.categories || []).find((x) => x.code === code);
  return c ? i18n.pick(c, "name") : code;
}

export async function mount({ map, panel, drawer: drawerEl }) {
  const kpiEl = h("section.kpi-panel", { id: "kpi", "aria-live": "polite" });
  listEl = h("section", { id: "cases" });
  feedEl = h("p.live", { id: "live", role: "status", "aria-live": "polite" });
  const exportEl = h("section.export-box", { id: "export" });
  panel.append(feedEl, filtersForm(), exportEl, kpiEl, listEl);
  drawer.init(drawerEl, () => incidents.refresh());
  kpi.init(kpiEl);
  const offSearch = ui.addSearch(async (q) => {
    if (!/\d{4,}/.test(q) || !config.has("/api/v1/cases")) return [];
    const { get, qs } = await import("../api.js");
    const data = await get(`/api/v1/cases${qs({ q, limit: 5 })}`);
    return data.items.map((k) => ({ label: k.case_no, detail: k.category?.name, go: () => { map.setView([k.lat, k.lon], 17); drawer.open(k.case_no); } }));
  });
  offs.push(offSearch);
  const onFeature = (props, e) => gridcard.show(map, props, e.latlng);
  mapmod.onFeatureClick(onFeature);
  offs.push(() => mapmod.offFeatureClick(onFeature));
  // The cases in view load without holding up the map; the KPIs, their chart and the live
  // feed (which keeps a connection open) wait until the map is interactive.
  const mounted = ++mountSeq;
  incidents.mount(map, { filters: readFilters(), density: readFilters().density, onOpen: drawer.open, onList: renderList })
    .catch((e) => console.warn("incidents", e));
  const onMove = () => kpi.refresh();
  ui.afterInteractive(() => {
    if (mounted !== mountSeq) return;
    map.on("moveend", onMove);
    offs.push(() => map.off("moveend", onMove));
    kpi.refresh();
    startLive();
    import("../exporter.js").then((m) => exportEl.isConnected && exportEl.replaceWith(m.box(exportFilters)));
  });
  if (!auth.user() || !live.available()) feedEl.textContent = auth.user() ? t("live.unavailable") : t("live.signIn");
  const c = urlstate.read().case;
  if (c) drawer.open(c);
}

let mountSeq = 0;

function startLive() {
  if (!auth.user() || !live.available() || !feedEl) return;
  offs.push(live.subscribe(onLive));
  live.onStatus((up) => {
    document.body.dataset.live = up ? "1" : "0";
    if (feedEl && !feedEl.classList.contains("flash")) feedEl.textContent = t(up ? "live.on" : "live.off");
  });
  live.start();
}

export function unmount() {
  mountSeq++;
  offs.forEach((fn) => fn());
  offs = [];
  live.stop();
  incidents.unmount();
  drawer.close();
  listEl = feedEl = null;
}
