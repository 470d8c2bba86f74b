// A Gantt timeline of planned vs actual milestones (plain DOM, no chart library): per project a
// row; per milestone an outlined planned bar and a filled actual bar, with today's line.
import { h } from "./ui.js";
import { t } from "./i18n.js";

const DAY = 86400e3;

function pos(d, lo, span) {
  return `${(((new Date(d) - lo) / span) * 100).toFixed(3)}%`;
}

function width(a, b, lo, span) {
  return `${Math.max(0.4, ((new Date(b) - new Date(a)) / span) * 100).toFixed(3)}%`;
}

export function render(data) {
  const projects = data?.projects || [];
  if (!projects.length || !data.range?.start) return h("p.muted", {}, t("plan.noProjects"));
  const today = new Date(data.as_of);
  const lo = new Date(Math.min(new Date(data.range.start), today) - 15 * DAY);
  const hi = new Date(Math.max(new Date(data.range.end), today) + 15 * DAY);
  const span = hi - lo;
  const months = [];
  const step = span > 900 * DAY ? 6 : span > 300 * DAY ? 3 : 1;
  for (let d = new Date(lo.getFullYear(), Math.ceil((lo.getMonth() + 1) / step) * step, 1); d < hi; d = new Date(d.getFullYear(), d.getMonth() + step, 1)) {
    months.push(h("span.tick", { style: `left:${pos(d, lo, span)}` }, `${String(d.getFullYear()).slice(2)}/${d.getMonth() + 1}`));
  }
  const rows = projects.map((p) =>
    h("div.g-row", { role: "row", dataset: { project: String(p.id) } },
      h("div.g-name", { role: "rowheader" },
        h("strong", {}, p.name), h("br"),
        h("span", { class: `pstatus ${p.status}` }, `${statusSymbol(p.status)} ${p.status_label || t(`pstatus.${p.status}`)}`),
        h("span.muted", {}, ` ${Math.round(p.progress ?? 0)}%`)),
      h("div.g-track", { role: "cell" },
        h("span.today", { style: `left:${pos(today, lo, span)}`, title: t("plan.today") }),
        p.bars.flatMap((b) => [
          b.planned ? h("span.bar.planned", {
            style: `left:${pos(b.planned.start, lo, span)};width:${width(b.planned.start, b.planned.end, lo, span)}`,
            title: `${b.label} ${t("plan.planned")} ${b.planned.start} – ${b.planned.end}`,
          }) : null,
          b.actual ? h("span", {
            class: `bar actual${b.late ? " late" : ""}${b.actual.open ? " open" : ""}`,
            style: `left:${pos(b.actual.start, lo, span)};width:${width(b.actual.start, b.actual.end || data.as_of, lo, span)}`,
            title: `${b.label} ${t("plan.actual")} ${b.actual.start} – ${b.actual.end || t("plan.ongoing")}`,
          }) : null,
          b.late && !b.actual ? h("span.bar.missed", {
            style: `left:${pos(b.planned.end, lo, span)}`, title: `${b.label} ${t("plan.lateMilestone")}`,
          }, "!") : null,
        ])),
    ));
  return h("div.gantt", { role: "table", "aria-label": t("plan.timeline") },
    h("div.g-row.g-head", { role: "row" }, h("div.g-name", { role: "columnheader" }, t("plan.project")),
      h("div.g-track", { role: "columnheader" }, months)),
    ...rows,
    h("p.g-legend", {},
      h("span.bar.planned.sample"), ` ${t("plan.planned")}  `, h("span.bar.actual.sample"), ` ${t("plan.actual")}  `,
      h("span.bar.actual.late.sample"), ` ${t("plan.late")}  `, h("span.today.sample"), ` ${t("plan.today")}`));
}

export function statusSymbol(s) {
  return { completed: "✔", on_track: "●", at_risk: "▲", late: "⚠", not_started: "○" }[s] || "•";
}
