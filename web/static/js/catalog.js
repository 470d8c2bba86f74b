// The layer catalogue from the server's registry, in one shape for the map:
//   {id, title, title_en, geometry_type, minzoom, maxzoom, style, boundary_source, tiles_only}
// Read from /api/v1/layers when the server has it, else from /ogc/collections.
import * as api from "./api.js";
import * as config from "./config.js";

/** Boundary layers shown when the URL names none. */
export const DEFAULT_ON = ["townships", "communities", "grids"];
/** Layers the views draw themselves (clusters, heat, drawer) rather than as plain tiles. */
export const SPECIAL = new Set(["incidents", "incident_density"]);

function normalise(c) {
  const ext = c.gridmap || c["x-gridmap"] || {};
  return {
    id: c.id,
    title: c.title || c.id,
    title_en: c.title_en || ext.title_en || c.id,
    geometry_type: c.geometry_type || ext.geometry_type || c.itemType || "",
    minzoom: c.minzoom ?? ext.minzoom ?? 0,
    maxzoom: c.maxzoom ?? ext.maxzoom ?? 22,
    style: c.style || ext.style || {},
    boundary_source: c.boundary_source ?? ext.boundary_source ?? null,
    tiles_only: c.tiles_only ?? ext.tiles_only ?? false,
  };
}

let cached = null;

export function load() {
  cached ??= fetchList().catch((e) => {
    cached = null;
    throw e;
  });
  return cached;
}

async function fetchList() {
  let list = [];
  const early = await window.gridmapEarly?.layers; // started by early.js with the page
  if (early) {
    window.gridmapEarly.layers = null; // once: later loads ask the server
    list = Array.isArray(early) ? early : early.layers || [];
  } else if (config.has("/api/v1/layers")) {
    const data = await api.get("/api/v1/layers");
    list = Array.isArray(data) ? data : data.layers || [];
  } else if (config.has("/ogc/collections")) {
    const data = await api.get("/ogc/collections");
    list = data.collections || [];
  }
  return list.map(normalise);
}

/** The tile URL template of a set of layers (one request per tile for all of them). */
export const tileUrl = (ids) => `/tiles/${ids.join(",")}/{z}/{x}/{y}.pbf`;
