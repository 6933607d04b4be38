// The sentinel's screens: a new two-hour fever report (saved on the phone, synced like every
// edit) and "my reports" with each report's state, the township's actions on it and a live
// countdown to its deadline.

import { label, t } from "../i18n.js";
import { $, fill, fmtTime, formValues, setText, show, tpl } from "../ui.js";
import { saveRecord } from "../writes.js";
import * as fr from "./fever_rules.js";

const TICK_MS = 1000;

function optional(value) {
  const s = String(value ?? "").trim();
  return s === "" ? null : s;
}

// The form's values as the fever_reports collection wants them, or {error, field}.
export function reportValues(v, { facilityId, nowMs, openedMs, defaultSeen, tz }) {
  const name = String(v.patient_name || "").trim();
  if (!name) return { error: "required_patient", field: "patient_name" };
  const phone = optional(v.patient_phone);
  if (phone != null && fr.checkPhone(phone) == null) {
    return { error: "invalid_phone", field: "patient_phone" };
  }
  const idNumber = optional(v.patient_id_number);
  if (idNumber != null && fr.checkIdNumber(idNumber) == null) {
    return { error: "invalid_id_number", field: "patient_id_number" };
  }
  const thisYear = new Date(nowMs).getUTCFullYear();
  const age = fr.ageOrBirthYear(v.age, thisYear);
  if (age == null) return { error: "invalid_age", field: "age" };
  const temp = optional(v.temperature);
  if (temp != null && !(Number(temp) >= 30 && Number(temp) <= 45)) {
    return { error: "invalid_temp", field: "temperature" };
  }
  // Left at its default, "seen at" is the moment the form opened, to the second.
  const seenMs = v.seen_at === defaultSeen ? openedMs : fr.fromLocalInput(v.seen_at, tz);
  if (Number.isNaN(seenMs)) return { error: "required_seen", field: "seen_at" };
  return {
    values: {
      facility_id: facilityId,
      patient_name: name,
      patient_phone: phone == null ? null : fr.checkPhone(phone),
      patient_id_number: idNumber == null ? null : fr.checkIdNumber(idNumber),
      sex: v.sex || null,
      age: age.age,
      birth_year: age.birth_year,
      village: String(v.village || "").trim(),
      address: String(v.address || "").trim(),
      temperature: temp == null ? null : Math.round(Number(temp) * 10) / 10,
      symptoms: v.symptoms || [],
      onset_date: optional(v.onset_date),
      seen_at_device: new Date(seenMs).toISOString(),
      note: String(v.note || "").trim(),
    },
  };
}

export function feverForm(app) {
  const node = tpl("t-fever-form");
  const form = $(node, "form");
  const openedMs = app.model.now();
  const defaultSeen = fr.toLocalInput(openedMs, app.tz);
  $(form, 'input[name="seen_at"]').value = defaultSeen;
  $(form, 'input[name="onset_date"]').max = defaultSeen.slice(0, 10);
  const error = $(form, '[data-f="error"]');
  form.addEventListener("input", () => setText(error, ""));
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    if (app.user.facility_id == null) {
      setText(error, t("no_facility"));
      return;
    }
    const checked = reportValues(formValues(form), { facilityId: app.user.facility_id,
      nowMs: app.model.now(), openedMs, defaultSeen, tz: app.tz });
    if (checked.error) {
      setText(error, t(checked.error));
      const field = form.elements[checked.field];
      if (field && field.focus) field.focus();
      return;
    }
    busy = true;
    try {
      const entry = await saveRecord(app, "fever_reports", null, checked.values);
      await app.model.reloadOutbox();
      app.afterWrite([entry]);
      app.toast(t("fever_saved"));
      app.navigate("#/fever");
    } catch (err) {
      app.log("fever", err);
      setText(error, t("error", { message: err.message || err }));
    } finally {
      busy = false;
    }
  });
  return { node, focus: () => $(form, 'input[name="patient_name"]').focus() };
}

function eventsOf(app, reportId) {
  return app.model.list("fever_events").filter((e) => e.report_id === reportId && !e.deleted)
    .sort((a, b) => (a.at < b.at ? -1 : 1));
}

function seenText(app, r) {
  const device = Date.parse(r.seen_at_device);
  const seen = fr.seenAtMs(r);
  // The server moved it (this phone's clock was off): show both, as the township sees them.
  if (r.seen_at && Math.abs(seen - device) >= 60 * 1000) {
    return t("fever_seen_corrected", { time: fmtTime(seen, app.tz),
      device: fmtTime(device, app.tz) });
  }
  return t("fever_seen", { time: fmtTime(seen, app.tz) });
}

function drawClock(badge, r, offsetMs) {
  // The clock matters until the township acknowledges; after that its state says it all.
  const running = !r.state || r.state === "reported";
  show(badge, running);
  if (!running) return;
  const left = fr.msLeft(r, Date.now(), offsetMs);
  setText(badge, t(left >= 0 ? "fever_left" : "fever_overdue", { time: fr.hms(left) }));
  badge.classList.toggle("due", left < 0);
  badge.classList.toggle("ok", left >= 0);
  badge.dataset.overdue = left < 0 ? "1" : "0";
}

export function feverList(app) {
  const node = document.createElement("div");
  let offsetMs = 0;
  let timer = null;
  const rows = [];
  const tick = () => {
    if (!node.isConnected) {
      clearInterval(timer);
      return;
    }
    for (const [badge, r] of rows) drawClock(badge, r, offsetMs);
  };
  const draw = () => {
    const frag = tpl("t-fever-list");
    // The village's other sentinels (a private clinic, a pharmacy) file their own.
    const reports = app.model.list("fever_reports")
      .filter((r) => !r.deleted && r.facility_id === app.user.facility_id)
      .sort((a, b) => fr.seenAtMs(b) - fr.seenAtMs(a));
    const waiting = reports.filter((r) => !r.state || r.state === "reported").length;
    fill(frag, { summary: t("fever_summary", { n: reports.length, waiting }) });
    const list = $(frag, "#fever-list");
    rows.length = 0;
    for (const r of reports) {
      const row = tpl("t-fever-row");
      const who = [label("sex", r.sex), r.age != null ? t("age_n", { n: r.age }) : "", r.village]
        .filter(Boolean).join(" · ");
      fill(row, {
        name: r.patient_name, who,
        temperature: r.temperature != null ? t("temp_c", { t: r.temperature }) : "",
        symptoms: (r.symptoms || []).map((s) => label("symptom", s)).join("、"),
        seen: seenText(app, r),
        state: r.state ? label("fever_state", r.state) : "",
        // a lead the server made from a grid worker's check, for this clinic to follow up
        source: r.source === "check" ? label("fever_source", r.source) : "",
      });
      show($(row, '[data-f="source"]'), r.source === "check");
      const li = $(row, "li");
      li.dataset.id = r.id;
      li.dataset.state = r.state || "";
      show($(row, '[data-f="state"]'), Boolean(r.state));
      show($(row, '[data-b="pending"]'), app.model.pendingFor("fever_reports", r.id));
      const events = $(row, '[data-f="events"]');
      for (const e of eventsOf(app, r.id)) {
        const item = document.createElement("li");
        item.className = "row compact";
        item.dataset.kind = e.kind;
        const result = e.result ? ` ${label("test_result", e.result)}` : "";
        item.textContent = `${fmtTime(Date.parse(e.at), app.tz)} ${label("fever_event", e.kind)}${result}`;
        events.append(item);
      }
      const badge = $(row, '[data-b="clock"]');
      rows.push([badge, r]);
      drawClock(badge, r, offsetMs);
      list.append(row);
    }
    show($(frag, "#fever-empty"), reports.length === 0);
    node.replaceChildren(frag);
  };
  draw();
  app.store.getMeta("clock_offset").then((o) => {
    offsetMs = typeof o === "number" ? o : 0;
    tick();
  });
  timer = setInterval(tick, TICK_MS);
  return { node, refresh: draw };
}
