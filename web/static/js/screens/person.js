// The person form: identity checked as it is typed (the ID number fills birth year and
// sex), the returnee's journey, and the measure the rules require, which is applied unless
// the worker picks another and says why. Every check is the shared rule of rules.js, the
// one the server applies too: the app never saves what the server would refuse.

import { label, t } from "../i18n.js";
import * as rules from "../rules.js";
import { $, fill, formValues, setFormValues, setText, show, tpl } from "../ui.js";
import { endMeasure, savePerson } from "../writes.js";
import { notFound, onSubmit, orNull, problemText } from "./forms.js";

const RETURNEE_FIELDS = ["origin_province", "origin_city", "origin_district", "transport",
  "itinerary", "health_code", "contact_of"];

// The field checks, each on its own field: null when fine, else the text to show. Only
// fields that changed are checked: the server checks what an edit sends, and an old value
// must not block an unrelated correction.
export function fieldProblems(v, before, today) {
  const changed = (k) => !before || (before[k] ?? "") !== (v[k] ?? "");
  const out = {};
  const id = orNull(v.id_number);
  if (id != null && changed("id_number")) {
    const r = rules.checkIdNumber(id);
    if (!r.ok) out.id_number = problemText("id_number", r.reason);
  }
  const phone = orNull(v.phone);
  if (phone != null && changed("phone")) {
    const r = rules.checkPhone(phone);
    if (!r.ok) out.phone = problemText("phone", r.reason);
  }
  for (const k of ["arrival_date", "certificate_date"]) {
    const d = orNull(v[k]);
    if (d == null || !changed(k)) continue;
    const r = rules.checkPastDate(d, today);
    if (!r.ok) out[k] = problemText(k, r.reason);
  }
  return out;
}

function riskAreas(app) {
  return app.model.list("risk_areas");
}

// The datalists of the origin pick, narrowed by what is already chosen.
function fillOrigins(app, form) {
  const areas = riskAreas(app);
  const v = formValues(form);
  const uniq = (xs) => [...new Set(xs.filter(Boolean))].sort((a, b) => a.localeCompare(b, "zh-CN"));
  const put = (id, values) => {
    const list = form.querySelector(`#${id}`) || document.getElementById(id);
    if (!list) return;
    list.replaceChildren(...values.map((x) => Object.assign(document.createElement("option"),
      { value: x })));
  };
  put("origin-provinces", uniq(areas.map((a) => a.province)));
  put("origin-cities", uniq(areas.filter((a) => !v.origin_province || a.province === v.origin_province)
    .map((a) => a.city)));
  put("origin-districts", uniq(areas.filter((a) => (!v.origin_province || a.province === v.origin_province) &&
    (!v.origin_city || a.city === v.origin_city)).map((a) => a.district)));
}

// riskCategoryFor's answer as a category code (it may answer a category or an object).
function suggestedCategory(app, v, onDate) {
  if (!v.origin_province) return null;
  const origin = { province: v.origin_province.trim(), city: (v.origin_city || "").trim(),
    district: (v.origin_district || "").trim() };
  const answer = rules.riskCategoryFor(origin, riskAreas(app), onDate);
  const code = answer && typeof answer === "object" ? answer.category : answer;
  return rules.CATEGORIES.includes(code) ? code : null;
}

function required(v, today) {
  const cert = rules.certificateState(orNull(v.certificate_date), orNull(v.arrival_date), today);
  return { cert, measure: rules.requiredMeasure(v.category || "resident", cert) };
}

function personWarnings(app, form, before, state) {
  const hint = (name) => $(form, `[data-w="${name}"]`);
  return (event) => {
    const v = formValues(form);
    const today = app.model.today();
    const returnee = v.category && v.category !== "resident";
    show($(form, "[data-returnee]"), returnee);
    // A valid ID number says the birth year and sex: filled in, still editable.
    if (event && event.target && event.target.name === "id_number") {
      const r = orNull(v.id_number) ? rules.checkIdNumber(v.id_number.trim()) : null;
      if (r && r.ok) {
        if (r.birthYear) form.elements.birth_year.value = String(r.birthYear);
        if (r.sex) form.elements.sex.value = r.sex;
      }
    }
    const problems = fieldProblems(v, before, today);
    for (const k of ["id_number", "phone", "arrival_date"]) setText(hint(k), problems[k] || "");
    fillOrigins(app, form);
    const suggestedCat = returnee || v.origin_province
      ? suggestedCategory(app, v, orNull(v.arrival_date) || today) : null;
    setText(hint("risk"), suggestedCat && suggestedCat !== v.category
      ? t("suggest_category", { category: label("category", suggestedCat) }) : "");
    setText(hint("special"), rules.needsSpecialReport(v.category) ? t("special_report") : "");
    const { cert, measure } = required(v, today);
    let certText = problems.certificate_date || "";
    if (!certText && returnee && cert === "expired") certText = t("cert_expired");
    else if (!certText && returnee && cert === "missing") certText = t("cert_missing");
    setText(hint("cert"), certText);
    // The rules' measure is put in the form unless the worker chose one by hand.
    if (!state.measureTouched && (before ? before.measure || "none" : "none") === "none") {
      form.elements.measure.value = measure;
    }
    const differs = measure !== "none" && form.elements.measure.value !== measure;
    show($(form, "[data-measure-reason]"), differs);
    setText(hint("suggest"), differs
      ? t("suggest_measure", { measure: label("measure", measure) }) : "");
  };
}

function contactOptions(app, form, hid, personId) {
  const select = form.elements.contact_of;
  for (const m of app.model.members(hid)) {
    if (m.id === personId) continue;
    select.append(Object.assign(document.createElement("option"), { value: m.id, textContent: m.name }));
  }
}

function measureActions(app, node, p) {
  const box = $(node, "[data-measure-actions]");
  const active = p ? app.model.activeMeasure(p.id) : null;
  show(box, Boolean(active));
  if (!active) return;
  $(box, '[data-link="follow"]').href = `#/p/${encodeURIComponent(p.id)}/follow`;
  const act = async (how) => {
    if (!window.confirm(t(how === "released" ? "confirm_release" : "confirm_hospital",
      { name: p.name }))) return;
    await endMeasure(app, p.id, how);
    app.toast(t(how === "released" ? "released" : "transferred"));
    app.navigate(`#/p/${encodeURIComponent(p.id)}/follow`);
  };
  $(box, '[data-act="release"]').addEventListener("click", () => act("released"));
  $(box, '[data-act="hospital"]').addEventListener("click", () => act("transferred"));
}

// The person's checks that raised a fever lead (the server's rule, rules.needsFeverLead),
// named at the top of the form with a link to the follow-up screen that lists them.
function feverLeads(app, node, p) {
  const box = $(node, "[data-fever-leads]");
  const n = p ? app.model.list("checks").filter((c) => c.person_id === p.id && !c.deleted
    && rules.needsFeverLead(c.temperature, c.symptoms)).length : 0;
  show(box, n > 0);
  if (!n) return;
  fill(box, { leads: t("fever_leads_n", { n }) });
  $(box, '[data-link="leads"]').href = `#/p/${encodeURIComponent(p.id)}/follow`;
}

export function personForm(app, personId, householdId) {
  const p = personId ? app.model.get("persons", personId) : null;
  if (personId && !p) return notFound();
  const hid = p ? p.household_id : householdId;
  const node = tpl("t-person-form");
  fill(node, { title: t(personId ? "edit_person" : "new_person") });
  $(node, '[data-link="back"]').href = `#/h/${encodeURIComponent(hid)}`;
  const form = $(node, "form");
  contactOptions(app, form, hid, personId);
  setFormValues(form, p || { category: "resident", measure: "none", sex: "" });
  const state = { measureTouched: false };
  // The worker's own choice stands (the element hears it before the form's listeners).
  for (const type of ["input", "change"]) {
    form.elements.measure.addEventListener(type, () => { state.measureTouched = true; });
  }
  const warn = personWarnings(app, form, p, state);
  form.addEventListener("input", warn);
  form.addEventListener("change", warn);
  warn();
  measureActions(app, node, p);
  feverLeads(app, node, p);
  onSubmit(app, form, {
    validate: (v) => {
      if (!v.name.trim()) return t("required_name");
      const year = orNull(v.birth_year);
      if (year != null && !(Number(year) >= 1880 && Number(year) <= 2100)) return t("invalid_year");
      const problems = Object.values(fieldProblems(v, p, app.model.today()));
      if (problems.length) return problems[0];
      const { measure } = required(v, app.model.today());
      if (measure !== "none" && v.measure !== measure && !orNull(v.measure_reason)) {
        return t("required_measure_reason", { measure: label("measure", measure) });
      }
      return null;
    },
    save: (v) => {
      const returnee = v.category !== "resident";
      const values = {
        name: v.name.trim(), sex: orNull(v.sex),
        birth_year: orNull(v.birth_year) == null ? null : Number(v.birth_year),
        relation: v.relation.trim(), id_number: orNull(v.id_number), phone: orNull(v.phone),
        category: v.category, arrival_date: orNull(v.arrival_date), origin: v.origin.trim(),
        certificate_date: orNull(v.certificate_date), measure: v.measure, notes: v.notes,
        quarantine_place: v.quarantine_place.trim(),
        measure_reason: v.measure === required(v, app.model.today()).measure ? ""
          : v.measure_reason.trim(),
      };
      for (const k of RETURNEE_FIELDS) {
        const x = returnee ? orNull(v[k]) : null;
        values[k] = k === "itinerary" || k.startsWith("origin_") || k === "transport" ? (x || "") : x;
      }
      if (!personId) values.household_id = hid;
      return savePerson(app, personId, values);
    },
    next: () => `#/h/${encodeURIComponent(hid)}`,
  });
  return { node, focus: () => $(form, "input").focus() };
}
