// View: planning — construction projects on the map coloured (and marked) by status, the
// register table, the Gantt timeline, and a drawn polygon's counts.
import * as api from "../api.js";
import * as balance from "../balance.js";
import * as coverage from "../coverage.js";
import * as scorecard from "../scorecard.js";
import * as urlstate from "../urlstate.js";
import * as config from "../config.js";
import * as draw from "../draw.js";
import * as gantt from "../gantt.js";
import { fmtTime, h, markData } from "../ui.js";
import { t } from "../i18n.js";

const L = window.L;
export const STATUS_COLOURS = { completed: "#1e7b34", on_track: "#2b6ca3", at_risk: "#a05a00", late: "#b3261e", not_started: "#6b7280" };
let layer = null;
let mapRef = null;

function money(x) {
  return x == null ? "—" : `${(x / 10000).toFixed(1)}${t("plan.wan")}`;
}

function table(projects, labels) {
  return h("table.register", { id: "register" },
    h("caption", {}, t("plan.register")),
    h("thead", {}, h("tr", {}, ["plan.project", "plan.place", "plan.status", "plan.progress", "plan.budget", "plan.next"].map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, projects.map((p) => h("tr", { dataset: { project: String(p.id) } },
      h("th", { scope: "row" }, h("button.btn-link", { type: "button", onclick: () => p.lat && mapRef.setView([p.lat, p.lon], 16) }, p.name)),
      h("td", {}, `${p.township_name || ""} ${p.community_name || ""}`),
      h("td", {}, h("span", { class: `pstatus ${p.status}` }, `${gantt.statusSymbol(p.status)} ${p.status_label || t(`pstatus.${p.status}`)}`)),
      h("td", {}, h("progress", { max: 100, value: p.progress ?? 0, "aria-label": t("plan.progress") }), ` ${Math.round(p.progress ?? 0)}%`),
      h("td", {}, `${money(p.budget_total)} / ${money(p.spent_to_date)}`),
      h("td", {}, p.next_milestone ? `${labels[p.next_milestone] || p.next_milestone} ${p.next_due || ""}${p.days_late ? ` (${t("plan.daysLate", { n: p.days_late })})` : ""}` : "—")))));
}

function mapProjects(map, projects) {
  layer = L.featureGroup().addTo(map);
  for (const p of projects) {
    if (p.lat == null) continue;
    const colour = STATUS_COLOURS[p.status] || "#444";
    L.marker([p.lat, p.lon], {
      title: `${p.name} ${p.status_label || ""}`,
      alt: p.name,
      icon: L.divIcon({ className: `project-pin ${p.status}`, html: `<span style="background:${colour}">${gantt.statusSymbol(p.status)}</span>`, iconSize: [26, 26] }),
    }).bindTooltip(`${p.name} · ${p.status_label || ""}`, { direction: "top", offset: [0, -12] }).bindPopup(`${p.name}<br>${p.status_label || ""} · ${Math.round(p.progress ?? 0)}%`).addTo(layer);
  }
  if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 13 });
}

const TABS = ["projects", "coverage", "balance", "scorecard"];

/** Projects, service coverage and grid balance as tabs (the choice is kept in the URL). */
function tabs(map, panes) {
  const bar = h("div.tabs", { role: "tablist", "aria-label": t("tab.label") });
  const select = (name, focus = false) => {
    if (!TABS.includes(name)) name = "projects";
    urlstate.write({ pt: name === "projects" ? null : name });
    for (const tab of TABS) {
      const on = tab === name;
      const btn = bar.querySelector(`[data-tab="${tab}"]`);
      btn.setAttribute("aria-selected", String(on));
      btn.tabIndex = on ? 0 : -1;
      panes[tab].hidden = !on;
      if (on && focus) btn.focus();
    }
    if (name !== "coverage") coverage.clear();
    if (name !== "balance") balance.clear();
    if (name === "coverage" && !panes.coverage.childElementCount) coverage.mount(map, panes.coverage);
    if (name === "balance" && !panes.balance.childElementCount) balance.mount(map, panes.balance);
    if (name === "scorecard" && !panes.scorecard.childElementCount) scorecard.mountPanel(panes.scorecard);
  };
  for (const tab of TABS) {
    bar.append(h("button.tab", {
      type: "button", role: "tab", id: `tab-${tab}`, "aria-controls": `pane-${tab}`, dataset: { tab },
      onclick: () => select(tab),
      onkeydown: (e) => {
        const i = TABS.indexOf(tab);
        if (e.key === "ArrowRight") select(TABS[(i + 1) % TABS.length], true);
        if (e.key === "ArrowLeft") select(TABS[(i + TABS.length - 1) % TABS.length], true);
      },
    }, t(`tab.${tab}`)));
    Object.assign(panes[tab], { id: `pane-${tab}` });
    panes[tab].setAttribute("role", "tabpanel");
    panes[tab].setAttribute("aria-labelledby", `tab-${tab}`);
  }
  return { bar, select };
}

export async function mount({ map, panel }) {
  mapRef = map;
  const box = h("section", { id: "projects" }, h("h2", {}, t("plan.title")));
  const drawBox = h("section", { id: "draw" });
  const panes = { projects: h("div", {}, box, drawBox), coverage: h("div"), balance: h("div"), scorecard: h("div") };
  const { bar, select } = tabs(map, panes);
  panel.append(bar, panes.projects, panes.coverage, panes.balance, panes.scorecard);
  select(urlstate.read().pt);
  document.body.classList.add("wide-panel");
  draw.mount(map, drawBox);
  if (!config.has("/api/v1/projects") || !config.has("/api/v1/projects/gantt")) {
    box.append(h("p.muted", {}, t("plan.unavailable")));
    return;
  }
  // The register and timeline fill in without holding up the map.
  loadProjects(map, box);
}

async function loadProjects(map, box) {
  const wait = h("p.muted", { role: "status" }, h("span.spinner", { "aria-hidden": "true" }), ` ${t("loading")}`);
  box.append(wait);
  try {
    const [reg, g] = await Promise.all([api.get("/api/v1/projects"), api.get("/api/v1/projects/gantt")]);
    wait.remove();
    if (mapRef !== map) return;
    box.append(h("p.muted", {}, `${t("plan.asOf")} ${reg.as_of} · ${t("plan.count", { n: reg.count })}`),
      h("div.legend-status", {}, Object.keys(STATUS_COLOURS).map((s) => h("span", { class: `pstatus ${s}` }, `${gantt.statusSymbol(s)} ${t(`pstatus.${s}`)}`))));
    const labels = Object.fromEntries(g.projects.flatMap((p) => p.bars.map((b) => [b.kind, b.label])));
    box.append(table(reg.projects, labels), h("h2", {}, t("plan.timeline")), gantt.render(g));
    map.invalidateSize();
    mapProjects(map, reg.projects);
    markData();
  } catch (e) {
    wait.remove();
    box.append(h("p.error", {}, e.message));
  }
}

export function unmount() {
  if (layer && mapRef) mapRef.removeLayer(layer);
  mapRef = null;
  layer = null;
  draw.unmount();
  document.body.classList.remove("wide-panel");
}
