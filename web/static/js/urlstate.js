// The page's state in the URL hash, so that a link shows the same view, layers and place:
//   #v=command&l=townships,communities,grids&m=12/36.48/102.41&case=…
const listeners = [];

export function read() {
  const p = new URLSearchParams(location.hash.slice(1));
  const out = Object.fromEntries(p.entries());
  out.layers = p.has("l") ? p.get("l").split(",").filter(Boolean) : null;
  const m = (p.get("m") || "").split("/").map(Number);
  out.map = m.length === 3 && m.every(Number.isFinite) ? { z: m[0], lat: m[1], lon: m[2] } : null;
  return out;
}

/** Merge `changes` into the hash (null removes a key) without adding history entries. */
export function write(changes) {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") p.delete(k);
    else p.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const hash = `#${p.toString().replace(/%2C/g, ",").replace(/%2F/g, "/")}`;
  if (hash !== location.hash) history.replaceState(null, "", hash);
}

export const onChange = (fn) => listeners.push(fn);
window.addEventListener("hashchange", () => listeners.forEach((fn) => fn(read())));
