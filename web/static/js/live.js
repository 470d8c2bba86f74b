// The live case feed (Server-Sent Events at /api/v1/events) read with fetch(), so the caller's
// headers go along; reconnects with Last-Event-ID after a drop.
import * as auth from "./auth.js";
import * as config from "./config.js";

const PATH = "/api/v1/events";
let controller = null;
let lastId = null;
let retry = 1000;
const handlers = new Set();
let statusFn = () => {};

export const available = () => config.has(PATH);
export function subscribe(fn) {
  handlers.add(fn);
  return () => handlers.delete(fn);
}
export const onStatus = (fn) => (statusFn = fn);

function dispatch(block) {
  let event = "message";
  let data = "";
  let id = null;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data += (data ? "\n" : "") + value;
    else if (field === "id") id = value;
    else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
  }
  if (id !== null) lastId = id;
  if (!data) return;
  let payload;
  try {
    payload = JSON.parse(data);
  } catch {
    payload = { data };
  }
  if (!payload.kind && event !== "message") payload.kind = event;
  handlers.forEach((fn) => fn(payload));
}

async function run(signal) {
  while (!signal.aborted) {
    try {
      const headers = { Accept: "text/event-stream", ...auth.headers() };
      if (lastId) headers["Last-Event-ID"] = lastId;
      const res = await fetch(PATH, { headers, signal, cache: "no-store" });
      if (res.status === 401 && (await auth.refresh())) continue;
      if (res.status >= 400 && res.status < 500) {
        statusFn(false);
        return; // not allowed: do not hammer the server
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      statusFn(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, "\n");
        let k;
        while ((k = buf.indexOf("\n\n")) >= 0) {
          dispatch(buf.slice(0, k));
          buf = buf.slice(k + 2);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
    }
    statusFn(false);
    await new Promise((r) => setTimeout(r, retry));
  }
}

export function start() {
  if (controller || !available()) return;
  controller = new AbortController();
  run(controller.signal);
}

export function stop() {
  controller?.abort();
  controller = null;
}
