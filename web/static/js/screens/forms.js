// Household, person and visit forms. Whole ID numbers and phones appear only here; the
// warnings a worker needs update as they type, in room reserved for them.

import { label, t } from "../i18n.js";
import * as rules from "../rules.js";
import { $, fill, formValues, setFormValues, setText, tpl } from "../ui.js";
import { addVisit, saveHousehold, savePerson } from "../writes.js";

const orNull = (v) => {
  const s = typeof v === "string" ? v.trim() : v;
  return s === "" || s == null ? null : s;
};

function notFound() {
  return { node: Object.assign(document.createElement("p"), { className: "empty",
    textContent: t("not_found") }) };
}

// Submit handling shared by the forms: validate, save, say so, go back.
function onSubmit(app, form, { validate, save, next }) {
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
    validate: (v) => (v.head_name.trim() ? null : t("required_head")),
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

function personWarnings(app, form) {
  const hint = (name) => $(form, `[data-w="${name}"]`);
  return () => {
    const v = formValues(form);
    const today = app.model.today();
    const returnee = v.category && v.category !== "resident";
    const cert = rules.certificateState(orNull(v.certificate_date), orNull(v.arrival_date), today);
    setText(hint("special"), rules.needsSpecialReport(v.category) ? t("special_report") : "");
    let certText = "";
    if (returnee && cert === "expired") certText = t("cert_expired");
    else if (returnee && cert === "missing") certText = t("cert_missing");
    setText(hint("cert"), certText);
    const suggested = rules.requiredMeasure(v.category || "resident", cert);
    setText(hint("suggest"), returnee && suggested !== v.measure
      ? t("suggest_measure", { measure: label("measure", suggested) }) : "");
  };
}

export function personForm(app, personId, householdId) {
  const p = personId ? app.model.get("persons", personId) : null;
  if (personId && !p) return notFound();
  const hid = p ? p.household_id : householdId;
  const node = tpl("t-person-form");
  fill(node, { title: t(personId ? "edit_person" : "new_person") });
  $(node, '[data-link="back"]').href = `#/h/${encodeURIComponent(hid)}`;
  const form = $(node, "form");
  setFormValues(form, p || { category: "resident", measure: "none", sex: "" });
  const warn = personWarnings(app, form);
  form.addEventListener("input", warn);
  form.addEventListener("change", warn);
  warn();
  onSubmit(app, form, {
    validate: (v) => {
      if (!v.name.trim()) return t("required_name");
      const year = orNull(v.birth_year);
      if (year != null && !(Number(year) >= 1880 && Number(year) <= 2100)) return t("invalid_year");
      return null;
    },
    save: (v) => {
      const values = {
        name: v.name.trim(), sex: orNull(v.sex),
        birth_year: orNull(v.birth_year) == null ? null : Number(v.birth_year),
        relation: v.relation.trim(), id_number: orNull(v.id_number), phone: orNull(v.phone),
        category: v.category, arrival_date: orNull(v.arrival_date), origin: v.origin.trim(),
        certificate_date: orNull(v.certificate_date), measure: v.measure, notes: v.notes,
      };
      if (!personId) values.household_id = hid;
      return savePerson(app, personId, values);
    },
    next: () => `#/h/${encodeURIComponent(hid)}`,
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
