// Small DOM helpers. Markup comes from <template>s in the shell; data goes in with
// textContent and form values only, never as HTML.

import { locale } from "./i18n.js";

export const $ = (root, sel) => root.querySelector(sel);
export const $$ = (root, sel) => [...root.querySelectorAll(sel)];

export function tpl(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing template ${id}`);
  return node.content.cloneNode(true);
}

// Fill [data-f="name"] elements with text; a null/undefined value leaves them empty.
export function fill(root, data) {
  for (const el of $$(root, "[data-f]")) {
    const v = data[el.dataset.f];
    el.textContent = v == null ? "" : String(v);
  }
  return root;
}

export function show(el, visible) {
  if (el) el.hidden = !visible;
}

export function setText(el, text) {
  if (el) el.textContent = text == null ? "" : String(text);
}

// Local wall time of an instant, in the shell's language and the server's time zone.
export function fmtTime(ms, tz, withDate = true) {
  if (ms == null) return "";
  const opts = { timeZone: tz, hour: "2-digit", minute: "2-digit", hour12: false };
  if (withDate) Object.assign(opts, { month: "2-digit", day: "2-digit" });
  return new Intl.DateTimeFormat(locale(), opts).format(new Date(ms));
}

export function fmtBytes(n) {
  if (n == null) return "";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// Form fields to a plain object: numbers stay text here; the caller converts.
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") {
      if (el.dataset.multi) {
        out[el.name] = out[el.name] || [];
        if (el.checked) out[el.name].push(el.value);
      } else {
        out[el.name] = el.checked;
      }
    } else if (el.type === "radio") {
      if (el.checked) out[el.name] = el.value;
    } else {
      out[el.name] = el.value;
    }
  }
  return out;
}

export function setFormValues(form, values) {
  for (const el of form.elements) {
    if (!el.name || !(el.name in values)) continue;
    const v = values[el.name];
    if (el.type === "checkbox") {
      el.checked = el.dataset.multi ? (v || []).includes(el.value) : Boolean(v);
    } else if (el.type === "radio") {
      el.checked = el.value === v;
    } else {
      el.value = v == null ? "" : String(v);
    }
  }
}

export function download(filename, text, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
