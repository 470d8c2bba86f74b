// The card of a clicked grid (or community/township): code, staff, households, open cases and
// its KPIs (the KPI panel switches to it).
import * as api from "./api.js";
import * as config from "./config.js";
import * as kpi from "./kpi.js";
import * as auth from "./auth.js";
import { h } from "./ui.js";
import { t } from "./i18n.js";

const L = window.L;
const OPEN = "reported,registered,dispatched,processing,responded,suspended";
// Who may read the scorecard (as scorecard.js; not imported here to keep the first load small).
const SCORECARD_READERS = ["commander", "supervisor", "planner", "viewer", "admin"];

export function levelOf(code) {
  if (/^\d{15}$/.test(code)) return "grid";
  if (/^\d{12}$/.test(code)) return code.endsWith("000") ? "township" : "community";
  return null;
}

export async function show(map, props, latlng) {
  const code = String(props.code || "");
  const level = levelOf(code);
  if (!level) return;
  const parent = props.community_code || props.parent_code || (level === "community" ? `${code.slice(0, 9)}000` : null);
  kpi.setScope({ level, code, name: props.name || code, parent });
  const body = h("div.gridcard", { id: "gridcard" },
    h("h3", {}, `${props.name || ""}`),
    h("dl.facts", {},
      h("dt", {}, t("card.code")), h("dd", { id: "card-code" }, code),
      h("dt", {}, t("card.level")), h("dd", {}, t(`level.${level}`)),
      props.households != null ? [h("dt", {}, t("card.households")), h("dd", {}, String(props.households))] : "",
      props.population != null ? [h("dt", {}, t("card.population")), h("dd", {}, String(props.population))] : "",
      h("dt", {}, t("card.open")), h("dd", { id: "card-open" }, "…"),
      level === "grid" ? [h("dt", {}, t("card.staff")), h("dd", { id: "card-staff" }, "…")] : ""),
    props.boundary_source === "illustrative" ? h("p.muted", {}, `※ ${t("legend.illustrative")}`) : "",
    level !== "township" && SCORECARD_READERS.includes(auth.role()) && config.has("/api/v1/scorecard")
      ? h("p", {}, h("a", { href: `#v=planning&pt=scorecard&sc=${code.slice(0, 12)}`, id: "card-scorecard" }, `◈ ${t("score.card")}`))
      : "");
  L.popup({ maxWidth: 300 }).setLatLng(latlng).setContent(body).openOn(map);
  const key = { grid: "grid", community: "community", township: "township" }[level];
  if (config.has("/api/v1/cases")) {
    api.get(`/api/v1/cases${api.qs({ [key]: code, state: OPEN, limit: 1 })}`)
      .then((d) => (body.querySelector("#card-open").textContent = String(d.total)))
      .catch(() => (body.querySelector("#card-open").textContent = "—"));
  } else body.querySelector("#card-open").textContent = "—";
  if (level === "grid") {
    const staffEl = body.querySelector("#card-staff");
    if (!config.has("/api/v1/locate")) return void (staffEl.textContent = "—");
    api.get(`/api/v1/locate${api.qs({ lon: latlng.lng.toFixed(6), lat: latlng.lat.toFixed(6) })}`)
      .then((loc) => {
        staffEl.textContent = (loc.staff || [])
          .map((s) => `${s.person_name || s.name || t(`staff.${s.role}`)}${s.phone ? ` ${s.phone}` : ""}（${t(`staff.${s.role}`)}）`)
          .join("；") || "—";
      })
      .catch(() => (staffEl.textContent = "—"));
  }
}
