// ECharts on demand: the small build (bars and lines) for the KPI trend; the full build only
// when a radar is shown (the small one has no radar). Once the full one is in, it serves all.
import * as config from "./config.js";

let full = null;

export async function echarts({ radar = false } = {}) {
  if (radar || full) {
    full ??= config.script("echarts", "dist/echarts.min.js").then(() => window.echarts);
    return full;
  }
  await config.script("echarts", "dist/echarts.simple.min.js");
  return full ? full : window.echarts;
}
