// The shell carries every user-facing string, rendered by the server through _() into a
// JSON block: these modules hold no words of their own.

let strings = {};

export function initI18n(doc = document) {
  const node = doc.getElementById("i18n");
  strings = node ? JSON.parse(node.textContent) : {};
}

// t("pending_n", {n: 3}) -> "3 条待同步"; {name} placeholders.
export function t(key, vars = {}) {
  const text = strings[key] ?? key;
  return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// label("category", "returnee_low") -> the option's name in the current language.
export function label(group, value) {
  const table = strings.enums && strings.enums[group];
  return (table && table[value]) ?? (value == null ? "" : String(value));
}

export function locale() {
  return document.documentElement.lang || "zh-CN";
}
