// The field report queue: every report is first kept in IndexedDB under its client id (UUID),
// then sent; the server answers a re-sent client id with the case it already has, so a report
// is stored exactly once however often the phone retries. Sent on start, on `online`, every
// 30 s and right after a report is queued.
import * as auth from "./auth.js";

const DB = "gridmap";
const STORE = "reports";
const listeners = [];
let dbp = null;
let syncing = null;

function db() {
  dbp ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "client_id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbp;
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let out;
    Promise.resolve(fn(store)).then((v) => (out = v));
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
  });
}

const wrap = (req) => new Promise((res, rej) => { req.onsuccess = () => res(req.result); req.onerror = () => rej(req.error); });

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const all = () => tx("readonly", (s) => wrap(s.getAll()));
export function onChange(fn) {
  listeners.push(fn);
  return () => listeners.splice(listeners.indexOf(fn), 1);
}

async function notify(extra = {}) {
  const items = await all();
  listeners.forEach((fn) => fn(items, extra));
}

/** Keep a report (case JSON without photos, plus photo Blobs) and try to send it. */
export async function enqueue(report, photos = []) {
  const item = {
    client_id: report.client_id,
    report,
    photos,
    who: auth.headers(),
    queued_at: new Date().toISOString(),
    attempts: 0,
    error: null,
  };
  await tx("readwrite", (s) => s.put(item));
  await notify();
  sync();
  return item;
}

async function sendOne(item, retried = false) {
  await auth.fresh();
  let body;
  const headers = { Accept: "application/json", ...auth.headers() };
  if (!Object.keys(auth.headers()).length) Object.assign(headers, item.who);
  if (item.photos.length) {
    body = new FormData();
    body.append("case", JSON.stringify(item.report));
    item.photos.forEach((p, i) => body.append("photos", p, p.name || `photo-${i}.jpg`));
  } else {
    body = JSON.stringify(item.report);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch("/api/v1/cases", { method: "POST", headers, body });
  if (res.status === 401 && !retried && (await auth.refresh())) return sendOne(item, true);
  const data = await res.json().catch(() => ({}));
  return { res, data };
}

/** Send what is queued, oldest first. Resolves to the cases the server confirmed. */
export function sync() {
  if (syncing) return syncing;
  syncing = (async () => {
    const sent = [];
    if (!navigator.onLine) return sent;
    const items = (await all()).sort((a, b) => a.queued_at.localeCompare(b.queued_at));
    for (const item of items) {
      let outcome;
      try {
        outcome = await sendOne(item);
      } catch {
        break; // network gone: keep everything for later
      }
      const { res, data } = outcome;
      if (res.ok) {
        await tx("readwrite", (s) => s.delete(item.client_id));
        sent.push(data.case || data);
      } else if (res.status >= 500 || [401, 408, 429].includes(res.status)) {
        item.attempts += 1;
        item.error = `HTTP ${res.status}`;
        await tx("readwrite", (s) => s.put(item));
        break;
      } else {
        // refused for good (bad input): keep it, visibly, for the worker to fix or discard
        item.attempts += 1;
        item.error = data.detail?.message || data.message || (typeof data.detail === "string" ? data.detail : `HTTP ${res.status}`);
        item.refused = true;
        await tx("readwrite", (s) => s.put(item));
      }
    }
    await notify({ sent });
    return sent;
  })().finally(() => (syncing = null));
  return syncing;
}

export const discard = async (clientId) => {
  await tx("readwrite", (s) => s.delete(clientId));
  await notify();
};

let started = false;
export function start() {
  if (started) return;
  started = true;
  addEventListener("online", () => sync());
  setInterval(() => navigator.onLine && sync(), 30_000);
  sync();
}
