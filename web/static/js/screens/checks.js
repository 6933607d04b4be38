// Today's checks (who is due, morning and evening, as server/quarantine/rules.py decides)
// and the check form with the fever warning.

import { label, t } from "../i18n.js";
import * as rules from "../rules.js";
import { $, fill, fmtTime, formValues, setText, show, tpl } from "../ui.js";
import { addCheck } from "../writes.js";

// Today's readings of one slot, first to last: `checks` is append-only, so a second reading
// of a done slot is a second row, shown as a re-check, never hidden behind the first.
function readings(app, measureId, slot) {
  const today = app.model.today();
  return (app.model.derived.checksByMeasure.get(measureId) || [])
    .filter((c) => c.check_date === today && c.slot === slot && !c.deleted)
    .sort((a, b) => (a.checked_at < b.checked_at ? -1 : 1));
}

const tempText = (c) => (c.temperature != null ? t("temp_c", { t: c.temperature }) : t("no_temp"));

function slotState(list) {
  if (!list.length) return t("slot_due");
  return `${t(list.length > 1 ? "slot_recheck" : "slot_done")} ${tempText(list[list.length - 1])}`;
}

function drawReadings(app, form, measureId, slot) {
  const list = readings(app, measureId, slot);
  const ul = $(form, "#check-readings");
  ul.replaceChildren(...list.map((c, i) => {
    const li = document.createElement("li");
    li.className = "row compact";
    li.dataset.recheck = i > 0 ? "1" : "0";
    const time = fmtTime(Date.parse(c.checked_at), app.tz, false);
    li.textContent = t(i > 0 ? "reading_recheck" : "reading_first", { time, temp: tempText(c) });
    return li;
  }));
  show(ul, list.length > 0);
  setText($(form, '[data-w="recheck"]'), list.length ? t("recheck_hint") : "");
}

export function checks(app) {
  const node = document.createElement("div");
  const draw = () => {
    const frag = tpl("t-checks");
    const rows = app.model.dueToday();
    const due = rows.filter((r) => r.slots.some((s) => !s.done)).length;
    fill(frag, { date: app.model.today(), summary: t("checks_summary", { due, total: rows.length }) });
    const list = $(frag, "#check-list");
    for (const r of rows) {
      const row = tpl("t-check-row");
      fill(row, {
        name: r.person.name,
        household: r.household ? `${r.household.doorplate} ${r.household.head_name}` : "",
        measure: label("measure", r.measure.kind), day: t("day_n", { n: r.day }),
      });
      const li = $(row, "li");
      li.dataset.measure = r.measure.id;
      const slots = $(row, ".slots");
      for (const s of r.slots) {
        const button = tpl("t-slot");
        fill(button, { slot: label("slot", s.slot), state: slotState(readings(app, r.measure.id, s.slot)) });
        const a = $(button, "a");
        a.dataset.slot = s.slot;
        a.classList.toggle("done", s.done);
        a.href = `#/check/${encodeURIComponent(r.measure.id)}/${s.slot}`;
        slots.append(button);
      }
      list.append(row);
    }
    show($(frag, "#checks-empty"), rows.length === 0);
    node.replaceChildren(frag);
  };
  draw();
  return { node, refresh: draw };
}

export function checkForm(app, measureId, slot) {
  const measure = app.model.get("measures", measureId);
  const person = measure ? app.model.get("persons", measure.person_id) : null;
  if (!measure || !person) {
    return { node: Object.assign(document.createElement("p"), { className: "empty",
      textContent: t("not_found") }) };
  }
  const node = tpl("t-check-form");
  fill(node, { name: person.name, measure: label("measure", measure.kind),
    day: t("day_n", { n: rules.dayNumber(measure.start_date, app.model.today()) }) });
  const form = $(node, "form");
  const preferred = slot || (rules.localHour(app.model.now(), app.tz) < 12 ? "morning" : "evening");
  for (const radio of form.querySelectorAll('input[name="slot"]')) {
    radio.checked = radio.value === preferred;
    radio.addEventListener("change", () => drawReadings(app, form, measure.id, radio.value));
  }
  drawReadings(app, form, measure.id, preferred);
  $(form, 'input[name="at_home"]').checked = true;
  const temp = $(form, 'input[name="temperature"]');
  const feverHint = $(form, '[data-w="fever"]');
  const feverBox = $(form, 'input[name="symptoms"][value="fever"]');
  temp.addEventListener("input", () => {
    const value = temp.value === "" ? null : Number(temp.value);
    const fever = rules.isFever(value);
    setText(feverHint, fever ? t("fever") : "");
    if (fever && feverBox) feverBox.checked = true;
  });
  const error = $(form, '[data-f="error"]');
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    const v = formValues(form);
    if (v.temperature !== "" && !(Number(v.temperature) >= 30 && Number(v.temperature) <= 45)) {
      setText(error, t("invalid_temp"));
      return;
    }
    busy = true;
    try {
      await addCheck(app, measure, v);
      app.toast(t("saved"));
      app.navigate("#/checks");
    } catch (err) {
      app.log("check", err);
      setText(error, t("error", { message: err.message || err }));
    } finally {
      busy = false;
    }
  });
  return { node, focus: () => temp.focus() };
}
