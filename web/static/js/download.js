// Downloads that need the caller's credentials (exports, reports): fetched with them, then
// saved through a temporary link, with the server's file name.
import * as auth from "./auth.js";
import { ApiError } from "./api.js";

function fileName(res, fallback) {
  const cd = res.headers.get("content-disposition") || "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : fallback;
}

/** GET `url` with the caller's credentials and save the answer; returns {name, bytes, count}. */
export async function download(url, fallback = "download") {
  await auth.fresh();
  let res = await fetch(url, { headers: auth.headers() });
  if (res.status === 401 && (await auth.refresh())) res = await fetch(url, { headers: auth.headers() });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new ApiError(res.status, body);
  }
  const blob = await res.blob();
  const name = fileName(res, fallback);
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 30000);
  const count = res.headers.get("x-feature-count");
  return { name, bytes: blob.size, count: count == null ? null : Number(count) };
}
