// The case drawer: details, photos, the full history and the actions the caller's role allows
// (register, dispatch with a department picker, approve an extension, close by verification …).
import * as api from "./api.js";
import * as auth from "./auth.js";
import * as config from "./config.js";
import * as i18n from "./i18n.js";
import * as urlstate from "./urlstate.js";
import { actionsFor, stateBadge } from "./workflow.js";
import { fmtTime, h, toast } from "./ui.js";
import { t } from "./i18n.js";

let el = null;
let onChanged = () => {};
let lastFocus = null;

export function init(drawerEl, changed) {
  el = drawerEl;
  onChanged = changed;
  el.addEventListener("keydown", (e) => e.key === "Escape" && close());
}

export function close() {
  if (!el) return;
  el.hidden = true;
  el.replaceChildren();
  urlstate.write({ case: null });
  lastFocus?.focus?.();
}

function actionForm(kase, action) {
  const fields = [];
  if (action === "dispatch") {
    const deps = config.get().taxonomy?.departments || [];
    fields.push(h("label", { for: "act-dept" }, h("span", {}, t("drawer.department")),
      h("select", { id: "act-dept", name: "department", required: true },
        deps.map((d) => h("option", { value: d.code, selected: kase.department?.code === d.code }, i18n.pick(d, "name"))))));
  }
  if (action === "cancel") {
    fields.push(h("label", { for: "act-reason" }, h("span", {}, t("drawer.reason")),
      h("select", { id: "act-reason", name: "reason" },
        ["invalid", "duplicate", "out_of_remit"].map((r) => h("option", { value: r }, t(`reason.${r}`))))));
  }
  fields.push(h("label", { for: "act-note" }, h("span", {}, t("task.note")), h("textarea", { id: "act-note", name: "note", rows: 2 })));
  const f = h("form.form.action-form", {},
    h("h3", {}, t(`action.${action}`)), ...fields,
    h("div.actions", {},
      h("button.btn-link", { type: "button", onclick: () => f.remove() }, t("auth.cancel")),
      h("button.action", { type: "submit" }, t("drawer.confirm"))));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { action };
    if (f.department) body.department = f.department.value;
    if (f.reason) body.reason = f.reason.value;
    if (f.note.value.trim()) body.note = f.note.value.trim();
    try {
      await api.post(`/api/v1/cases/${encodeURIComponent(kase.case_no)}/actions`, body);
      toast(`${kase.case_no}: ${t(`action.${action}`)} ✔`);
      onChanged(kase.case_no);
      open(kase.case_no);
    } catch (err) {
      toast(`${t(`action.${action}`)}: ${err.message}`, 6000);
    }
  });
  return f;
}

function history(items) {
  return h("ol.timeline", {}, items.map((e) =>
    h("li", {},
      h("time", { datetime: e.at }, fmtTime(e.at)), " ",
      h("strong", {}, t(`action.${e.action}`) !== `action.${e.action}` ? t(`action.${e.action}`) : e.action), " ",
      e.to_state ? h("span.muted", {}, `→ ${t(`state.${e.to_state}`)}`) : "", " ",
      h("span.muted", {}, e.actor || ""),
      e.note ? h("div", {}, e.note) : "")));
}

export async function open(caseNo) {
  if (!el) return;
  if (document.activeElement && !el.contains(document.activeElement)) lastFocus = document.activeElement;
  el.hidden = false;
  el.replaceChildren(h("p.muted", {}, "…"));
  urlstate.write({ case: caseNo });
  let kase;
  try {
    kase = await api.get(`/api/v1/cases/${encodeURIComponent(caseNo)}`);
  } catch (e) {
    el.replaceChildren(h("button.btn-link.close", { type: "button", onclick: close }, `✕ ${t("close")}`), h("p.error", {}, e.message));
    return;
  }
  const b = stateBadge(kase);
  const acts = actionsFor(kase, auth.role());
  const actionBox = h("div.action-box");
  el.replaceChildren(
    h("button.btn-link.close", { type: "button", onclick: close, "aria-label": t("close") }, `✕ ${t("close")}`),
    h("h2", { id: "drawer-h", tabindex: "-1" }, kase.case_no),
    h("p", {}, h("span", { class: `state ${b.cls}` }, `${b.sym} ${t(`state.${kase.state}`)}`),
      kase.overdue ? h("span.state.overdue", {}, `⚠ ${t("state.overdue")}`) : ""),
    h("dl.facts", {},
      h("dt", {}, t("field.major")), h("dd", {}, `${kase.category.parent_name || ""} / ${kase.category.name}`),
      h("dt", {}, t("field.desc")), h("dd", {}, kase.description),
      h("dt", {}, t("field.grid")), h("dd", {}, `${kase.grid?.name || ""} ${kase.grid?.code || ""} · ${kase.community?.name || ""} · ${kase.township?.name || ""}`),
      kase.address ? [h("dt", {}, t("field.address")), h("dd", {}, kase.address)] : "",
      h("dt", {}, t("drawer.reported")), h("dd", {}, `${fmtTime(kase.reported_at)} · ${kase.reported_by || ""}`),
      kase.department ? [h("dt", {}, t("drawer.department")), h("dd", {}, kase.department.name)] : "",
      h("dt", {}, t("task.deadline")), h("dd", {}, fmtTime(kase.deadline_at)),
      kase.extension_requested_hours ? [h("dt", {}, t("drawer.extension")), h("dd", {}, `${kase.extension_requested_hours} h`)] : ""),
    kase.photos?.length ? h("div.photos", {}, kase.photos.map((p) =>
      h("a", { href: `/api/v1/cases/${encodeURIComponent(kase.case_no)}/photos/${p.id}`, target: "_blank", rel: "noopener" },
        h("img", { dataset: { src: `/api/v1/cases/${encodeURIComponent(kase.case_no)}/photos/${p.id}?thumb=true` }, alt: t("drawer.photo"), width: 96, height: 96 })))) : "",
    acts.length ? h("div.drawer-actions", {}, acts.map((a) =>
      h("button.action", { type: "button", dataset: { action: a }, onclick: () => actionBox.replaceChildren(actionForm(kase, a)) }, t(`action.${a}`)))) : "",
    actionBox,
    h("h3", {}, t("drawer.history")),
    history(kase.history || []),
  );
  el.querySelector("#drawer-h").focus();
  loadPhotos();
}

/** Photos need the caller's credentials, so they are fetched and shown as blob URLs. */
async function loadPhotos() {
  for (const img of el.querySelectorAll("img[data-src]")) {
    try {
      const res = await fetch(img.dataset.src, { headers: auth.headers() });
      if (res.ok) img.src = URL.createObjectURL(await res.blob());
    } catch {
      // leave the alt text
    }
  }
}
