// The five-type community scorecard (五型社区) in the dashboard: the ranking with small-sample
// notes (GET /api/v1/scorecard), and for a chosen community a radar chart of its five headings
// (ECharts) with the values in words too, and its HTML report (downloaded with credentials).
import "./messages/analysis.js";
import * as api from "./api.js";
import * as auth from "./auth.js";
import * as charts from "./charts.js";
import * as config from "./config.js";
import * as i18n from "./i18n.js";
import * as urlstate from "./urlstate.js";
import { download } from "./download.js";
import { h, toast } from "./ui.js";
import { t } from "./i18n.js";

export const READERS = ["commander", "supervisor", "planner", "viewer", "admin"];
const HEADINGS = ["cohesive", "capable", "service", "selfgov", "harmony"];
let chart = null;
let seq = 0;

export const mayRead = () => READERS.includes(auth.role()) && config.has("/api/v1/scorecard");

const score100 = (x) => (x == null ? null : Math.round(x * 1000) / 10);

function flagsText(flags = []) {
  return flags.map((f) => `※ ${t(`score.${f}`)}`).join("；");
}

function headingName(code, names) {
  const n = names?.[code];
  return n ? i18n.pick(n, "name") : code;
}

/** The radar of one community's five headings (0–100), drawn into `el`. */
export async function radar(el, card, names) {
  const values = HEADINGS.map((code) => score100(card.headings?.[code]));
  const label = t("score.radar", { name: card.name });
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", `${label}: ${HEADINGS.map((c, i) => `${headingName(c, names)} ${values[i] ?? "—"}`).join("，")}`);
  const echarts = await charts.echarts({ radar: true });
  if (!el.isConnected) return null;
  chart?.dispose();
  chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: {},
    radar: {
      radius: "62%",
      indicator: HEADINGS.map((c) => ({ name: headingName(c, names), max: 100 })),
      axisName: { color: "#1d2b3a", fontSize: 12 },
    },
    series: [{
      type: "radar",
      name: card.name,
      symbol: "diamond",
      symbolSize: 7,
      areaStyle: { opacity: 0.25 },
      lineStyle: { width: 2 },
      itemStyle: { color: "#1d4f7a" },
      label: { show: true, formatter: (p) => (p.value == null ? "—" : String(p.value)), fontSize: 10 },
      data: [{ value: values.map((v) => v ?? 0), name: card.name }],
    }],
  });
  el.dataset.drawn = "1";
  return chart;
}

/** One community: total, rank, notes, the radar, the values as a table, and the report. */
export async function showCommunity(el, code) {
  const mine = ++seq;
  el.replaceChildren(h("p.muted", { role: "status" }, h("span.spinner", { "aria-hidden": "true" }), ` ${t("loading")}`));
  let card;
  try {
    card = await api.get(`/api/v1/scorecard/${encodeURIComponent(code)}`);
  } catch (e) {
    if (mine === seq) el.replaceChildren(h("p.error", { role: "alert" }, e.message));
    return;
  }
  if (mine !== seq) return;
  const names = card.heading_names || {};
  const radarEl = h("div.radar", { id: "score-radar" });
  const reportBtn = h("button.action.secondary", {
    type: "button", id: "score-report",
    onclick: async () => {
      reportBtn.disabled = true;
      try {
        const r = await download(`/api/v1/scorecard/${encodeURIComponent(card.code)}/report`, `scorecard-${card.code}.html`);
        toast(`${t("score.report")}: ${r.name}`);
      } catch (e) {
        toast(`${t("score.report")}: ${e.message}`, 6000);
      } finally {
        reportBtn.disabled = false;
      }
    },
  }, `⬇ ${t("score.report")}`);
  el.replaceChildren(h("div.score-card", { id: "score-card", dataset: { code: card.code } },
    h("h3", {}, `${card.name} `, h("span.muted", {}, card.code)),
    h("p", {}, `${t("score.total")} ${card.total ?? "—"} · ${t("score.of", { rank: card.rank, of: card.of })}`),
    card.flags?.length ? h("p.muted", { id: "score-flags" }, flagsText(card.flags)) : "",
    radarEl,
    h("table.register", { id: "score-values" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("score.heading")), h("th", { scope: "col" }, t("score.value")))),
      h("tbody", {}, HEADINGS.map((c) => h("tr", {}, h("th", { scope: "row" }, headingName(c, names)),
        h("td.num", {}, String(score100(card.headings?.[c]) ?? "—")))))),
    h("p", {}, reportBtn, " ", h("span.muted", {}, t("score.reportHint")))));
  await radar(radarEl, card, names).catch((e) => console.warn("radar", e));
}

function ranking(data, onPick) {
  return h("table.register.score-table", { id: "score-ranking" },
    h("caption", {}, t("score.caption")),
    h("thead", {}, h("tr", {}, ["score.rank", "score.community", "score.township", "score.total", "score.flags"]
      .map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, data.items.map((c) => h("tr", { dataset: { code: c.code } },
      h("td.num", {}, String(c.rank)),
      h("th", { scope: "row" }, h("button.btn-link", { type: "button", onclick: () => onPick(c.code), "aria-label": `${c.name} ${t("score.open")}` }, c.name)),
      h("td", {}, c.township_name || ""),
      h("td.num", {}, c.total == null ? "—" : String(c.total)),
      h("td.flags", {}, c.flags?.length ? h("span", { title: flagsText(c.flags) }, `※ ${c.flags.map((f) => t(`score.${f}`)).join("；")}`) : "")))));
}

/** The scorecard panel: a chosen community's card on top, the ranking below. */
export async function mountPanel(el) {
  el.replaceChildren(h("h2", { id: "score-h" }, t("score.title")));
  if (!mayRead()) return el.append(h("p.muted", {}, t(config.has("/api/v1/scorecard") ? "score.noRight" : "score.unavailable")));
  const cardEl = h("section", { id: "score-community", "aria-live": "polite" });
  const listEl = h("div", {}, h("p.muted", { role: "status" }, h("span.spinner", { "aria-hidden": "true" }), ` ${t("loading")}`));
  el.append(cardEl, listEl);
  const pick = (code, scroll = true) => {
    urlstate.write({ sc: code });
    showCommunity(cardEl, code);
    if (scroll) cardEl.scrollIntoView({ block: "start" });
  };
  try {
    const data = await api.get("/api/v1/scorecard");
    listEl.replaceChildren(ranking(data, pick));
    const want = urlstate.read().sc;
    if (want || data.items.length) pick(want || data.items[0].code, false);
  } catch (e) {
    listEl.replaceChildren(h("p.error", { role: "alert" }, e.message));
  }
}

export function unmount() {
  seq++;
  chart?.dispose();
  chart = null;
}
