// Optional online basemap in GCJ-02 (AMap): our layers are WGS84, so the basemap tiles are
// drawn shifted by the local WGS84→GCJ-02 offset (about 180 m in Ledu; it varies by well
// under a metre across the district, so one offset per view is enough).
const L = window.L;
const A = 6378245.0;
const EE = 0.00669342162296594323;

function tLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function tLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS84 → GCJ-02 (the published transform; valid inside China). */
export function wgs84ToGcj02(lon, lat) {
  let dLat = tLat(lon - 105, lat - 35);
  let dLon = tLon(lon - 105, lat - 35);
  const rad = (lat / 180) * Math.PI;
  let magic = Math.sin(rad);
  magic = 1 - EE * magic * magic;
  const sq = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sq)) * Math.PI);
  dLon = (dLon * 180) / ((A / sq) * Math.cos(rad) * Math.PI);
  return [lon + dLon, lat + dLat];
}

const ShiftedTiles = L.TileLayer.extend({
  _shift() {
    const m = this._map;
    const c = m.getCenter();
    const [glon, glat] = wgs84ToGcj02(c.lng, c.lat);
    const z = this._tileZoom ?? m.getZoom();
    return m.project([c.lat, c.lng], z).subtract(m.project([glat, glon], z));
  },
  _getTilePos(coords) {
    return L.TileLayer.prototype._getTilePos.call(this, coords).add(this._shift());
  },
});

export function toGcj02Layer(map) {
  const layer = new ShiftedTiles(
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
    { subdomains: "1234", attribution: "高德地图 (GCJ-02)" },
  );
  layer.addTo(map);
  map.on("moveend", () => layer.redraw());
  return layer;
}
