// Household and visit forms, and what every form shares (the person form is person.js).
// Whole ID numbers and phones appear only in forms; warnings update as the worker types,
// in room reserved for them.

import { label, t } from "../i18n.js";
import * as rules from "../rules.js";
import { $, fill, formValues, setFormValues, setText, tpl } from "../ui.js";
import { addVisit, saveHousehold } from "../writes.js";

export const orNull = (v) => {
  const s = typeof v === "string" ? v.trim() : v;
  return s === "" || s == null ? null : s;
};

// "ID number: the check digit is wrong": the field's name and the rule's reason, the reason
// in the phone's language when the catalogue knows its code.
export function problemText(field, reason) {
  const text = label("check_reason", reason);
  const known = text !== String(reason ?? "");
  const shown = known ? text : (/[^\x00-\x7f]/.test(String(reason)) ? reason : t("invalid_value"));
  return t("field_problem", { field: label("field", field), problem: shown });
}

export function notFound() {
  return { node: Object.assign(document.createElement("p"), { className: "empty",
    textContent: t("not_found") }) };
}

// Submit handling shared by the forms: validate, save, say so, go back.
export function onSubmit(app, form, { validate, save, next }) {
  const error = $(form, '[data-f="error"]');
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    const values = formValues(form);
    const problem = validate(values);
    setText(error, problem || "");
    if (problem) return;
    busy = true;
    try {
      const entries = await save(values);
      app.toast(entries.length ? t("saved") : t("nothing_changed"));
      app.navigate(next(entries));
    } catch (err) {
      app.log("save", err);
      setText(error, t("error", { message: err.message || err }));
    } finally {
      busy = false;
    }
  });
}

export function householdForm(app, id) {
  const h = id ? app.model.get("households", id) : null;
  if (id && !h) return notFound();
  const node = tpl("t-household-form");
  fill(node, { title: t(id ? "edit_household" : "new_household") });
  $(node, '[data-link="back"]').href = id ? `#/h/${encodeURIComponent(id)}` : "#/households";
  const form = $(node, "form");
  if (h) setFormValues(form, h);
  onSubmit(app, form, {
    validate: (v) => {
      if (!v.head_name.trim()) return t("required_head");
      const phone = orNull(v.phone);
      if (phone != null && (!h || phone !== (h.phone || ""))) {
        const r = rules.checkPhone(phone);
        if (!r.ok) return problemText("phone", r.reason);
      }
      return null;
    },
    save: (v) => saveHousehold(app, id, {
      head_name: v.head_name.trim(), doorplate: v.doorplate.trim(), address: v.address.trim(),
      phone: orNull(v.phone), notes: v.notes,
    }),
    next: (entries) => {
      const rid = id || (entries[0] && entries[0].rid);
      return rid ? `#/h/${encodeURIComponent(rid)}` : "#/households";
    },
  });
  return { node, focus: () => $(form, "input").focus() };
}

export function visitForm(app, householdId) {
  const h = app.model.get("households", householdId);
  if (!h) return notFound();
  const node = tpl("t-visit-form");
  fill(node, { head_name: h.head_name });
  const back = `#/h/${encodeURIComponent(householdId)}`;
  $(node, '[data-link="back"]').href = back;
  const form = $(node, "form");
  onSubmit(app, form, {
    validate: (v) => (v.outcome ? null : t("required_outcome")),
    save: (v) => addVisit(app, householdId, v),
    next: () => back,
  });
  return { node };
}
