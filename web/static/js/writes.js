// Every edit a screen makes goes through here: it becomes outbox entries carrying only the
// fields that changed (new records carry all of theirs), with field names and values as
// the server's collection schemas want them (server/sync/schemas.py).

import * as rules from "./rules.js";
import { dailyReportId, orderedId } from "./uuid.js";

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function changedFields(current, values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) {
    // A field the record does not carry yet (a newer form over older data) is sent only
    // when the worker filled it in.
    if (current && !(k in current) && (v == null || v === "")) continue;
    if (!current || !same(current[k], v)) out[k] = v;
  }
  return out;
}

// Edit or create one record; returns the outbox entry, or null when nothing changed.
export async function saveRecord(app, col, id, values) {
  const { model, store } = app;
  const current = id ? model.get(col, id) : null;
  // A new record leaves out what is empty: the server's defaults say the same.
  const data = current ? changedFields(current, values)
    : Object.fromEntries(Object.entries(values).filter(([, v]) => v != null && v !== ""));
  if (!Object.keys(data).length) return null;
  const rid = id || orderedId();
  const entry = await store.enqueue({
    col, rid, op: "put", base: current ? model.snapshotRev(col, rid) : null, data,
  });
  return entry;
}

async function done(app, entries) {
  await app.model.reloadOutbox();
  app.afterWrite(entries.filter(Boolean));
  return entries.filter(Boolean);
}

export async function saveHousehold(app, id, values) {
  const data = { ...values };
  if (!id) data.area_id = app.user.area_id;
  return done(app, [await saveRecord(app, "households", id, data)]);
}

// A person's measure is kept twice: the `measure` kind on the person (lists filter on it)
// and the episode in `measures` (checks and tests hang on it). Changing one changes both.
export async function savePerson(app, id, values) {
  const { model } = app;
  const before = id ? model.get("persons", id) : null;
  const entries = [await saveRecord(app, "persons", id, values)];
  const personId = id || (entries[0] && entries[0].rid);
  const oldKind = before ? before.measure || "none" : "none";
  const newKind = values.measure || "none";
  if (personId && oldKind !== newKind) {
    const today = model.today();
    const active = id ? model.activeMeasure(id) : null;
    if (active) {
      entries.push(await saveRecord(app, "measures", active.id, {
        status: newKind === "none" ? "released" : "transferred", end_date: today,
      }));
    }
    if (newKind !== "none") {
      entries.push(...await openMeasure(app, personId, newKind,
        measureStart(values.arrival_date, today), values.quarantine_place || ""));
    }
  }
  return done(app, entries);
}

// A returnee's measure counts from the arrival, unless that would already be over.
export function measureStart(arrival, today) {
  return arrival && arrival <= today && rules.daysBetween(arrival, today) < 14 ? arrival : today;
}

// A new episode under the policy version in force on its start day: its release date and
// one scheduled test per test day of the policy.
async function openMeasure(app, personId, kind, start, place) {
  const { model } = app;
  const policy = rules.policyFor(kind, start, model.derived.policies) ||
    rules.policyFor(kind, start, rules.DEFAULT_POLICIES);
  const plan = policy ? rules.schedule(policy, start) : null;
  const measure = await saveRecord(app, "measures", null, {
    person_id: personId, kind, policy_id: policy && policy.id != null ? policy.id : null,
    start_date: start, end_date: plan ? plan.end_date : null, status: "active", place,
  });
  const out = [measure];
  for (const due of plan ? plan.test_dates : []) {
    out.push(await saveRecord(app, "tests", null, {
      person_id: personId, measure_id: measure.rid, reason: "scheduled", due_date: due,
      result: "pending",
    }));
  }
  return out;
}

// "Release" and "transfer to hospital": the episode ends today with that status and the
// person's measure says so (none, or hospital).
export async function endMeasure(app, personId, how) {
  const { model } = app;
  const today = model.today();
  const active = model.activeMeasure(personId);
  const entries = [];
  if (active) {
    entries.push(await saveRecord(app, "measures", active.id, { status: how, end_date: today }));
  }
  entries.push(await saveRecord(app, "persons", personId, {
    measure: how === "transferred" ? "hospital" : "none",
  }));
  return done(app, entries);
}

export async function addVisit(app, householdId, form) {
  return done(app, [await saveRecord(app, "visits", null, {
    household_id: householdId,
    visited_at: new Date(app.model.now()).toISOString(),
    outcome: form.outcome,
    checklist: {
      all_present: Boolean(form.all_present),
      returnees_found: Number(form.returnees_found) || 0,
      symptoms: Boolean(form.symptoms),
    },
    notes: form.notes || "",
  })]);
}

export async function addCheck(app, measure, form) {
  const temp = form.temperature === "" || form.temperature == null ? null : Number(form.temperature);
  return done(app, [await saveRecord(app, "checks", null, {
    measure_id: measure.id,
    person_id: measure.person_id,
    check_date: app.model.today(),
    slot: form.slot,
    temperature: temp,
    symptoms: form.symptoms || [],
    at_home: Boolean(form.at_home),
    needs: form.needs || "",
    checked_at: new Date(app.model.now()).toISOString(),
  })]);
}

// One report per grid per day, the same id on every phone: two workers filing the same
// day merge into one record instead of two.
export async function saveDailyReport(app, counts, { zero = false, notes = "" } = {}) {
  const day = app.model.today();
  const id = await dailyReportId(app.user.area_id, day);
  const exists = Boolean(app.model.get("daily_reports", id));
  const values = {
    is_zero: zero,
    households_visited: zero ? 0 : counts.households_visited,
    new_returnees: zero ? 0 : counts.new_returnees,
    under_measure: zero ? 0 : counts.under_measure,
    checks_done: zero ? 0 : counts.checks_done,
    fever_found: zero ? 0 : counts.fever_found,
    notes,
    submitted_at: new Date(app.model.now()).toISOString(),
  };
  if (!exists) Object.assign(values, { area_id: app.user.area_id, report_date: day });
  const { model, store } = app;
  const current = model.get("daily_reports", id);
  const data = current ? changedFields(current, values) : values;
  const entry = await store.enqueue({
    col: "daily_reports", rid: id, op: "put", base: model.snapshotRev("daily_reports", id), data,
  });
  return done(app, [entry]);
}

// "Got it" on a supervisor's reminder: only when and by whom it was read are sent, through
// the outbox like any edit (offline too; the server keeps the first acknowledgement).
export async function acknowledgeReminder(app, id) {
  return done(app, [await saveRecord(app, "reminders", id, {
    read_at: new Date(app.model.now()).toISOString(),
    read_by: app.user.id,
  })]);
}
