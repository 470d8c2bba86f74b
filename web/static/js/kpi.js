// The KPI panel: open and overdue cases in the current map view, and for the district or a
// chosen township/community/grid the rates (结案率, 按期结案率) with a trend chart (ECharts).
import * as api from "./api.js";
import * as charts from "./charts.js";
import * as config from "./config.js";
import * as incidents from "./incidents.js";
import { h, pct } from "./ui.js";
import { t } from "./i18n.js";

const OPEN = "reported,registered,dispatched,processing,responded,suspended";
let el = null;
let scope = { level: "district", code: "630202000000", name: "乐都区" };
let chart = null;
let seq = 0;

export function init(panelEl) {
  el = panelEl;
  el.replaceChildren(h("h2", {}, t("kpi.title")),
    h("p.muted", { role: "status" }, h("span.spinner", { "aria-hidden": "true" }), ` ${t("loading")}`));
}

export const currentScope = () => scope;

export function setScope(next) {
  scope = next || { level: "district", code: "630202000000", name: "乐都区" };
  refresh();
}

function tile(label, value, id, cls = "") {
  return h("div", { class: `kpi ${cls}`, id }, h("div.kpi-value", {}, value), h("div.kpi-label", {}, label));
}

async function counts() {
  if (!config.has("/api/v1/cases")) return {};
  const base = { ...incidents.filterParams(), bbox: incidents.bboxParam(), limit: 1 };
  const [open, overdue] = await Promise.all([
    api.get(`/api/v1/cases${api.qs({ ...base, state: OPEN })}`),
    api.get(`/api/v1/cases${api.qs({ ...base, overdue: "true" })}`),
  ]);
  const fmt = (d) => (d.total_exact === false ? `${d.total}+` : String(d.total));
  return { open: fmt(open), overdue: fmt(overdue) };
}

async function rates() {
  if (!config.has("/api/v1/stats/kpis")) return null;
  const q = scope.level === "district" || scope.level === "township"
    ? { level: scope.level, breakdown: "false" }
    : { level: scope.level, parent: scope.parent, breakdown: "false" };
  const data = await api.get(`/api/v1/stats/kpis${api.qs(q)}`);
  if (scope.level === "district") return data.total;
  return (data.units || []).find((u) => u.code === scope.code) || null;
}

async function series() {
  if (!config.has("/api/v1/stats/series")) return null;
  const q = { interval: "day", start: new Date(Date.now() - 30 * 86400e3).toISOString().slice(0, 10) };
  if (scope.level !== "district") Object.assign(q, { level: scope.level, code: scope.code });
  return api.get(`/api/v1/stats/series${api.qs(q)}`);
}

async function draw(chartEl, data) {
  if (!data?.buckets?.length) return;
  const echarts = await charts.echarts();
  if (!chartEl.isConnected) return;
  chart?.dispose();
  chart = echarts.init(chartEl, null, { renderer: "canvas" });
  const x = data.buckets.map((b) => b.start.slice(5));
  chart.setOption({
    animation: false,
    grid: { left: 34, right: 40, top: 10, bottom: 22 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: x, axisLabel: { fontSize: 10 } },
    yAxis: [
      { type: "value", name: "", axisLabel: { fontSize: 10 } },
      { type: "value", min: 0, max: 100, axisLabel: { fontSize: 10, formatter: "{value}%" } },
    ],
    series: [
      { name: t("kpi.reported"), type: "bar", data: data.buckets.map((b) => b.reported), itemStyle: { color: "#7aa6cf" } },
      { name: t("kpi.closure"), type: "line", yAxisIndex: 1, symbol: "circle", data: data.buckets.map((b) => (b.closure_rate == null ? null : Math.round(b.closure_rate * 1000) / 10)), itemStyle: { color: "#1e7b34" } },
      { name: t("kpi.onTime"), type: "line", yAxisIndex: 1, symbol: "triangle", lineStyle: { type: "dashed" }, data: data.buckets.map((b) => (b.on_time_rate == null ? null : Math.round(b.on_time_rate * 1000) / 10)), itemStyle: { color: "#a05a00" } },
    ],
  });
}

export async function refresh() {
  if (!el) return;
  const mine = ++seq;
  const [c, r, s] = await Promise.all([
    counts().catch(() => ({})),
    rates().catch(() => null),
    series().catch(() => null),
  ]);
  if (mine !== seq) return;
  const chartEl = h("div.kpi-chart", { role: "img", "aria-label": t("kpi.trend") });
  el.replaceChildren(
    h("h2", {}, t("kpi.title")),
    h("div.kpis", {},
      tile(t("kpi.openInView"), c.open ?? "—", "kpi-open"),
      tile(t("kpi.overdueInView"), c.overdue ?? "—", "kpi-overdue", "bad")),
    h("h3", {}, `${scope.name} · ${t("kpi.last30")}`,
      scope.level !== "district" ? h("button.btn-link", { type: "button", onclick: () => setScope(null) }, t("kpi.backToDistrict")) : ""),
    r ? h("div.kpis", {},
      tile(t("kpi.closure"), pct(r.closure_rate), "kpi-closure"),
      tile(t("kpi.onTime"), pct(r.on_time_rate), "kpi-ontime"),
      tile(t("kpi.overdueNow"), String(r.overdue_now ?? "—"), "kpi-overdue-now", "bad"),
      tile(t("kpi.reported"), String(r.reported ?? "—"), "kpi-reported"))
      : h("p.muted", {}, t("kpi.unavailable")),
    r?.small_sample ? h("p.muted", {}, `※ ${t("kpi.smallSample")}`) : "",
    s?.buckets?.length ? chartEl : "",
    s?.buckets?.length ? h("p.chart-key", {}, t("kpi.key")) : "",
  );
  draw(chartEl, s).catch((e) => console.warn("chart", e));
}
