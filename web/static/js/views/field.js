// View: field staff on a phone — report by GPS or by tapping the map (the grid is shown before
// sending; points outside the district are refused on the spot), 大类 → 小类, photo, an
// offline queue with a visible pending count, and "my tasks".
import * as api from "../api.js";
import * as auth from "../auth.js";
import * as config from "../config.js";
import * as i18n from "../i18n.js";
import * as mapmod from "../map.js";
import * as queue from "../queue.js";
import * as tasks from "../tasks.js";
import { h, markData, toast } from "../ui.js";
import { t } from "../i18n.js";

const L = window.L;
let ctx = null;
let point = null;
let marker = null;
let located = null;
let offs = [];

function categories() {
  return config.get().taxonomy?.categories || [];
}

function form() {
  const cats = categories();
  const top = cats.filter((c) => c.level === 1);
  const major = h("select", { id: "f-major", name: "major", required: true },
    h("option", { value: "" }, t("field.pick")),
    top.map((c) => h("option", { value: c.code }, `${c.code} ${i18n.pick(c, "name")}`)));
  const minor = h("select", { id: "f-minor", name: "category", required: true, disabled: true },
    h("option", { value: "" }, t("field.pickMajorFirst")));
  major.addEventListener("change", () => {
    const subs = cats.filter((c) => c.parent_code === major.value);
    minor.replaceChildren(h("option", { value: "" }, t("field.pick")),
      ...subs.map((c) => h("option", { value: c.code }, `${c.code} ${i18n.pick(c, "name")}`)));
    minor.disabled = !subs.length;
  });
  const f = h("form.form", { id: "report-form", "aria-labelledby": "report-h", novalidate: true },
    h("h2", { id: "report-h" }, t("field.report")),
    h("div.where", {},
      h("button.action.secondary", { type: "button", id: "f-gps", onclick: useGps }, `◎ ${t("field.gps")}`),
      h("span.muted", {}, t("field.orTap"))),
    h("p", { id: "f-located", class: "located", role: "status", "aria-live": "polite" }, t("field.noPoint")),
    h("label", { for: "f-major" }, h("span", {}, t("field.major")), major),
    h("label", { for: "f-minor" }, h("span", {}, t("field.minor")), minor),
    h("label", { for: "f-desc" }, h("span", {}, t("field.desc")),
      h("textarea", { id: "f-desc", name: "description", rows: 3, required: true, maxlength: 2000 })),
    h("label", { for: "f-addr" }, h("span", {}, t("field.address")),
      h("input", { id: "f-addr", name: "address", maxlength: 200 })),
    h("label", { for: "f-photo" }, h("span", {}, t("field.photo")),
      h("input", { id: "f-photo", name: "photo", type: "file", accept: "image/jpeg,image/png,image/webp", capture: "environment", multiple: true })),
    h("p.error", { role: "alert", hidden: true }),
    h("div.actions", {}, h("button.action", { type: "submit", id: "f-submit", disabled: true }, t("field.send"))),
  );
  f.addEventListener("submit", submit);
  return f;
}

function pendingBox() {
  return h("section.pending", { id: "pending", "aria-live": "polite" });
}

function renderPending(items) {
  const el = document.getElementById("pending");
  if (!el) return;
  const refused = items.filter((i) => i.refused);
  el.replaceChildren(
    h("p", {},
      h("strong", { id: "pending-count", dataset: { count: String(items.length) } },
        t("field.pending", { n: items.length })),
      items.length && !refused.length ? " " : "",
      items.length ? h("button.btn-link", { type: "button", onclick: () => queue.sync() }, t("field.sendNow")) : ""),
    ...refused.map((i) => h("p.error", {}, `${i.report.description.slice(0, 20)}… — ${i.error} `,
      h("button.btn-link", { type: "button", onclick: () => queue.discard(i.client_id) }, t("field.discard")))),
  );
  document.body.dataset.pending = String(items.length);
}

async function setPoint(lat, lon, source) {
  point = { lat, lon, source };
  located = null;
  const out = document.getElementById("f-located");
  const btn = document.getElementById("f-submit");
  if (marker) marker.setLatLng([lat, lon]);
  else {
    const icon = L.divIcon({ className: "report-pin", html: '<span aria-hidden="true">✚</span>', iconSize: [28, 28] });
    marker = L.marker([lat, lon], { icon, keyboard: false, title: t("field.point") }).addTo(ctx.map);
  }
  const inside = mapmod.insideDistrict(lon, lat);
  if (inside === false) {
    out.textContent = `✕ ${t("field.outside")}`;
    out.className = "located bad";
    btn.disabled = true;
    return;
  }
  btn.disabled = false;
  out.className = "located";
  if (!navigator.onLine || !config.has("/api/v1/locate")) {
    out.textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)} — ${t("field.locateLater")}`;
    return;
  }
  out.textContent = t("field.locating");
  try {
    const loc = await api.get(`/api/v1/locate${api.qs({ lon: lon.toFixed(6), lat: lat.toFixed(6) })}`);
    if (point.lat !== lat || point.lon !== lon) return;
    located = loc;
    out.textContent = `✔ ${t("field.grid")}: ${loc.grid_name || ""} ${loc.grid_code} · ${loc.community_name} · ${loc.township_name}`;
    out.className = "located ok";
    out.dataset.grid = loc.grid_code;
  } catch (e) {
    out.textContent = `✕ ${e.message}`;
    out.className = "located bad";
    btn.disabled = e.status === 422;
  }
}

function useGps() {
  if (!navigator.geolocation) return toast(t("field.noGps"));
  navigator.geolocation.getCurrentPosition(
    (p) => {
      ctx.map.setView([p.coords.latitude, p.coords.longitude], Math.max(ctx.map.getZoom(), 16));
      setPoint(p.coords.latitude, p.coords.longitude, "gps");
    },
    (e) => toast(`${t("field.noGps")}: ${e.message}`),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 10000 },
  );
}

async function shrink(file) {
  // Photos above ~1.5 MB are scaled to 1600 px JPEG so they get through a weak signal.
  if (file.size < 1.5e6 || !window.createImageBitmap) return file;
  const bmp = await createImageBitmap(file);
  const k = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
  const c = document.createElement("canvas");
  c.width = Math.round(bmp.width * k);
  c.height = Math.round(bmp.height * k);
  c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
  const blob = await new Promise((r) => c.toBlob(r, "image/jpeg", 0.82));
  return new File([blob], file.name.replace(/\.\w+$/, ".jpg"), { type: "image/jpeg" });
}

async function submit(ev) {
  ev.preventDefault();
  const f = ev.target;
  const err = f.querySelector(".error");
  err.hidden = true;
  const fail = (msg) => { err.textContent = msg; err.hidden = false; };
  if (!auth.user()) return fail(t("field.signInFirst"));
  if (!point) return fail(t("field.noPoint"));
  if (!f.category.value) return fail(t("field.minorMissing"));
  if (!f.description.value.trim()) return fail(t("field.descMissing"));
  const report = {
    client_id: queue.uuid(),
    lon: Number(point.lon.toFixed(7)),
    lat: Number(point.lat.toFixed(7)),
    category: f.category.value,
    description: f.description.value.trim(),
    reported_at: new Date().toISOString(),
  };
  if (f.address.value.trim()) report.address = f.address.value.trim();
  const photos = await Promise.all([...f.photo.files].map(shrink));
  await queue.enqueue(report, photos);
  toast(navigator.onLine ? t("field.queuedSending") : t("field.queuedOffline"));
  f.reset();
  f.querySelector("#f-minor").disabled = true;
  document.getElementById("f-submit").disabled = true;
  document.getElementById("f-located").textContent = t("field.noPoint");
  point = null;
  if (marker) { ctx.map.removeLayer(marker); marker = null; }
}

export async function mount(c) {
  ctx = c;
  const { panel, map } = c;
  panel.append(
    auth.user() ? "" : h("p.notice", {}, t("field.signInFirst")),
    pendingBox(),
    form(),
    h("section", { id: "tasks", "aria-labelledby": "tasks-h" }),
  );
  const onClick = (e) => setPoint(e.latlng.lat, e.latlng.lng, "tap");
  map.on("click", onClick);
  offs.push(() => map.off("click", onClick));
  queue.onChange((items, { sent } = {}) => {
    renderPending(items);
    if (sent?.length) toast(t("field.sent", { n: sent.length, no: sent.map((s) => s.case_no).join(", ") }));
  });
  queue.start();
  renderPending(await queue.all());
  // "My tasks" fills in without holding up the map and the report form.
  tasks.mount(document.getElementById("tasks"), map).then(markData, (e) => console.warn("tasks", e));
}

export function unmount() {
  offs.forEach((fn) => fn());
  offs = [];
  if (marker && ctx) ctx.map.removeLayer(marker);
  marker = null;
  point = null;
  tasks.unmount();
}
