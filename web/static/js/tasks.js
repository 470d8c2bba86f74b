// "My tasks" on the phone: cases assigned to me (handle, feed back with a photo, ask for more
// time) or, for supervisors, cases waiting for verification; and my grids outlined on the map.
import * as api from "./api.js";
import * as auth from "./auth.js";
import * as config from "./config.js";
import { actionsFor, stateBadge } from "./workflow.js";
import { fmtTime, h, toast } from "./ui.js";
import { t } from "./i18n.js";

const L = window.L;
let mapRef = null;

function query() {
  const u = auth.user();
  if (!u) return null;
  if (u.role === "supervisor") {
    const g = u.grids?.[0];
    return { state: "responded", [g && g.length === 12 ? "community" : "grid"]: g, limit: 50, sort: "deadline_at" };
  }
  if (u.role === "handler") return { state: "dispatched,processing", department: u.department, limit: 50, sort: "deadline_at" };
  if (u.role === "field_staff") return { state: "dispatched,processing", assignee: u.username, limit: 50, sort: "deadline_at" };
  return null;
}

async function act(kase, action, form) {
  const body = { action };
  const note = form?.querySelector("textarea")?.value.trim();
  if (note) body.note = note;
  if (action === "request_extension") body.hours = Number(form?.querySelector("input[type=number]")?.value || 8);
  const files = form?.querySelector("input[type=file]")?.files || [];
  const url = `/api/v1/cases/${encodeURIComponent(kase.case_no)}/actions`;
  if (files.length) {
    const fd = new FormData();
    fd.append("action", JSON.stringify(body));
    [...files].forEach((f) => fd.append("photos", f, f.name));
    await api.request(url, { method: "POST", body: fd });
  } else {
    await api.post(url, body);
  }
}

function card(kase, refresh) {
  const b = stateBadge(kase);
  const acts = actionsFor(kase, auth.role());
  const extra = h("div.task-form", {},
    h("label", {}, h("span", {}, t("task.note")), h("textarea", { rows: 2 })),
    acts.includes("respond") ? h("label", {}, h("span", {}, t("task.photo")), h("input", { type: "file", accept: "image/*", capture: "environment" })) : "",
    acts.includes("request_extension") ? h("label", {}, h("span", {}, t("task.hours")), h("input", { type: "number", min: 1, max: 200, value: 8 })) : "");
  const li = h("li.task", { dataset: { case: kase.case_no } },
    h("div", {}, h("strong", {}, kase.case_no), " ",
      h("span", { class: `state ${b.cls}` }, `${b.sym} ${kase.overdue ? t("state.overdue") : t(`state.${kase.state}`)}`)),
    h("div", {}, `${kase.category.parent_name || ""} / ${kase.category.name}`),
    h("div.muted", {}, `${kase.grid?.name || kase.grid?.code || ""} · ${t("task.deadline")} ${fmtTime(kase.deadline_at)}`),
    acts.length ? extra : "",
    h("div", {}, acts.map((a) => h("button.action", {
      type: "button",
      onclick: async (e) => {
        e.target.disabled = true;
        try {
          await act(kase, a, li);
          toast(`${kase.case_no}: ${t(`action.${a}`)} ✔`);
          refresh();
        } catch (err) {
          toast(`${t(`action.${a}`)}: ${err.message}`);
          e.target.disabled = false;
        }
      },
    }, t(`action.${a}`)))),
  );
  return li;
}

export async function mount(el, map) {
  mapRef = map;
  const refresh = async () => {
    const q = query();
    el.replaceChildren(h("h2", { id: "tasks-h" }, t("task.mine")));
    if (!q || !config.has("/api/v1/cases")) {
      el.append(h("p.muted", {}, q ? t("task.unavailable") : t("task.none")));
      return;
    }
    if (!navigator.onLine) {
      el.append(h("p.muted", {}, t("offline")));
      return;
    }
    const data = await api.get(`/api/v1/cases${api.qs(q)}`).catch((e) => ({ error: e.message }));
    if (data.error) return el.append(h("p.error", {}, data.error));
    el.append(data.items.length ? h("ul.tasks", {}, data.items.map((k) => card(k, refresh))) : h("p.muted", {}, t("task.none")));
  };
  await refresh();
}

export function unmount() {
  mapRef = null;
}
