// Small shared UI pieces: toast, element builder, search box, formatting.
import * as api from "./api.js";
import * as config from "./config.js";
import * as mapmod from "./map.js";
import { t } from "./i18n.js";

let toastTimer;

let markInteractiveDone;
/** Resolves once the map and the view's controls are usable (marked "gridmap:interactive"). */
export const interactive = new Promise((resolve) => (markInteractiveDone = resolve));

export function markInteractive() {
  if (!performance.getEntriesByName("gridmap:interactive").length) performance.mark("gridmap:interactive");
  markInteractiveDone();
}

/** Run `fn` after the page is interactive, when the browser is idle (data that can wait). */
export function afterInteractive(fn) {
  return interactive.then(() => new Promise((resolve) => {
    const go = () => resolve(fn());
    if (window.requestIdleCallback) requestIdleCallback(go, { timeout: 500 });
    else setTimeout(go, 50);
  }));
}

/** Mark the moment the view's own data is in (once per page load), for the load benchmark. */
export function markData() {
  if (!performance.getEntriesByName("gridmap:data").length) performance.mark("gridmap:data");
}
export function toast(text, ms = 3500) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), ms);
}

/** h("div.card", {onclick}, child, …): a tiny element builder (text children are escaped). */
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });
}

export const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

const searchHandlers = [];
/** Views add search sources: fn(query) → [{label, detail, go()}]. */
export function addSearch(fn) {
  searchHandlers.push(fn);
  return () => searchHandlers.splice(searchHandlers.indexOf(fn), 1);
}

export function setupSearch(form) {
  const input = form.querySelector("input");
  const list = form.querySelector("ul");
  let seq = 0;
  const run = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (q.length < 2) {
      list.hidden = true;
      return;
    }
    const results = (await Promise.all(searchHandlers.map((fn) => fn(q).catch(() => [])))).flat();
    if (mine !== seq) return;
    list.replaceChildren(
      ...(results.length
        ? results.slice(0, 12).map((r) =>
            h("li", { role: "option" },
              h("button", { type: "button", onclick: () => { list.hidden = true; r.go(); } },
                h("strong", {}, r.label), " ", h("span.muted", {}, r.detail || ""))))
        : [h("li.muted", {}, t("search.none"))]),
    );
    list.hidden = false;
  };
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    run().then(() => list.querySelector("button")?.click());
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") list.hidden = true;
  });
  // Grid / community code search from the features API, when the server has it.
  addSearch(async (q) => {
    if (!/^\d{6,15}$/.test(q) && !/[\u4e00-\u9fa5]/.test(q)) return [];
    const out = [];
    for (const coll of ["grids", "communities"]) {
      if (!config.has("/ogc/collections/{collection_id}/items") && !config.has("/ogc/collections/{collectionId}/items")) break;
      const field = /^\d+$/.test(q) ? "code" : "name";
      const filter = `${field} LIKE '${q.replace(/'/g, "''")}%'`;
      const data = await api.get(`/ogc/collections/${coll}/items${api.qs({ filter, "filter-lang": "cql2-text", limit: 5 })}`);
      for (const f of data.features || []) {
        out.push({
          label: f.properties.name || f.properties.code,
          detail: f.properties.code,
          go: () => mapmod.get().fitBounds(window.L.geoJSON(f).getBounds()),
        });
      }
    }
    return out;
  });
}
