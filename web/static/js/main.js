// Start-up: config, language, sign-in, the map, and the view named in the URL.
import * as auth from "./auth.js";
import * as config from "./config.js";
import * as i18n from "./i18n.js";
import * as mapmod from "./map.js";
import * as urlstate from "./urlstate.js";
import * as ui from "./ui.js";
import { t } from "./i18n.js";

const VIEWS = {
  command: () => import("./views/command.js"),
  field: () => import("./views/field.js"),
  planning: () => import("./views/planning.js"),
};
const DEFAULT_VIEW = { field_staff: "field", planner: "planning" };

let current = null;
let currentName = null;

function defaultView() {
  if (matchMedia("(max-width: 600px)").matches) return "field";
  return DEFAULT_VIEW[auth.role()] || "command";
}

/** Fetch a view's whole module graph at once (the server lists it), not level by level. */
function preloadView(name) {
  for (const href of config.get().modules?.[name] || []) {
    if (document.querySelector(`link[href="${href}"]`)) continue;
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = href;
    document.head.append(link);
  }
}

async function show(name) {
  if (!VIEWS[name]) name = defaultView();
  if (name === currentName) return;
  if (current?.unmount) current.unmount();
  currentName = name;
  document.body.dataset.view = name;
  urlstate.write({ v: name });
  document.querySelectorAll("nav.views a").forEach((a) => {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  const panel = document.getElementById("panel");
  panel.replaceChildren();
  const mod = await VIEWS[name]();
  current = mod;
  await mod.mount({ map: mapmod.get(), panel, drawer: document.getElementById("drawer") });
  mapmod.get().invalidateSize();
}

function renderWho() {
  const u = auth.user();
  const who = document.getElementById("who");
  const btn = document.getElementById("signin-btn");
  who.textContent = u ? `${u.display || u.username} · ${t(`role.${u.role}`)}` : t("auth.anonymous");
  btn.textContent = u ? t("auth.signout") : t("auth.signin");
  document.body.dataset.role = auth.role();
}

function setupSignIn() {
  const dlg = document.getElementById("signin");
  const form = document.getElementById("signin-form");
  const err = form.querySelector(".error");
  const dev = !auth.hasAccounts();
  form.querySelector(".dev-role").hidden = !dev;
  form.querySelector(".pw").hidden = dev;
  form.password.required = !dev;
  document.getElementById("signin-btn").addEventListener("click", async () => {
    if (auth.user()) {
      await auth.signOut();
      return;
    }
    err.hidden = true;
    dlg.showModal();
    form.username.focus();
  });
  form.querySelector("button[value=cancel]").addEventListener("click", () => dlg.close());
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await auth.signIn({
        username: form.username.value.trim(),
        password: form.password.value,
        role: form.role.value,
      });
      dlg.close();
    } catch (e) {
      err.textContent = `${t("auth.failed")}: ${e.message}`;
      err.hidden = false;
    }
  });
}

function setupNet() {
  const el = document.getElementById("net");
  const upd = () => {
    el.textContent = navigator.onLine ? "" : `⚠ ${t("offline")}`;
    el.hidden = navigator.onLine;
  };
  addEventListener("online", upd);
  addEventListener("offline", upd);
  i18n.onChange(upd);
  upd();
}

async function start() {
  await config.load();
  const first = VIEWS[urlstate.read().v] ? urlstate.read().v : defaultView();
  preloadView(first);
  i18n.apply();
  document.getElementById("lang").addEventListener("click", () =>
    i18n.setLang(i18n.current() === "zh-CN" ? "en" : "zh-CN"));
  setupSignIn();
  setupNet();
  renderWho();
  auth.onChange(() => {
    renderWho();
    mapmod.setHighlight(auth.user()?.grids || []);
    const name = currentName;
    currentName = null;
    show(name);
  });
  i18n.onChange(() => {
    renderWho();
    // Views are built in the current language: build the open one again (its state is in the URL).
    const name = currentName;
    currentName = null;
    if (name) show(name);
  });
  mapmod.create(document.getElementById("map"));
  mapmod.setHighlight(auth.user()?.grids || []);
  // The layer catalogue and the view's modules load side by side; the view's data (cases,
  // KPIs, charts) follows once the map is usable.
  const layersReady = mapmod.loadLayers(document.getElementById("layers"), document.getElementById("legend"));
  ui.setupSearch(document.getElementById("search-form"));
  urlstate.onChange((st) => show(st.v));
  await Promise.all([layersReady, show(first)]);
  await mapmod.firstTiles();
  document.body.dataset.ready = "1";
  ui.markInteractive();
  if ("serviceWorker" in navigator && location.protocol !== "file:") {
    navigator.serviceWorker.register("/sw.js").catch((e) => console.warn("service worker", e));
  }
}

start().catch((e) => {
  console.error(e);
  ui.toast(`${t("error.generic")}: ${e.message}`);
});
