// Service worker: keeps the app shell, its modules and the vendor files so the page reopens
// with no network; caches the vector tiles already seen. API calls always go to the network
// (the report queue in IndexedDB handles being offline), except the public layer catalogue.
const BUILD = "{{build}}";
const SHELL = `gridmap-shell-${BUILD}`;
const TILES = "gridmap-tiles";
const MAX_TILES = 2000;
const PRECACHE = {{precache}};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL)
      .then((c) => c.addAll(PRECACHE).then(() => c.add("/api/v1/layers").catch(() => {})))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("gridmap-shell-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetch(request);
    if (res.ok) cache.put(request, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok) (await caches.open(SHELL)).put(request, res.clone());
  return res;
}

async function tile(request) {
  const cache = await caches.open(TILES);
  try {
    const res = await fetch(request);
    if (res.status === 200) {
      await cache.put(request, res.clone());
      const keys = await cache.keys();
      for (const k of keys.slice(0, Math.max(0, keys.length - MAX_TILES))) await cache.delete(k);
    }
    return res;
  } catch (err) {
    const hit = await cache.match(request);
    if (hit) return hit;
    return new Response(null, { status: 204 });
  }
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (url.pathname.startsWith("/vendor/")) event.respondWith(cacheFirst(req));
  else if (url.pathname.startsWith("/tiles/")) event.respondWith(tile(req));
  else if (req.mode === "navigate" && url.pathname === "/") event.respondWith(networkFirst(new Request("/"), SHELL));
  else if (url.pathname.startsWith("/static/") || ["/app-config.json", "/manifest.webmanifest", "/district.geojson", "/api/v1/layers"].includes(url.pathname)) {
    event.respondWith(networkFirst(req, SHELL));
  }
});
