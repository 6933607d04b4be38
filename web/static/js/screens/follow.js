// A person's follow-up on one screen: day N of M and the release date, the tests due and
// done, every check with its temperature (fevers in red), the slots missed, and the fever
// and special reports this phone holds about the person.

import { label, t } from "../i18n.js";
import * as rules from "../rules.js";
import { $, fill, fmtTime, show, tpl } from "../ui.js";
import { notFound } from "./forms.js";

function li(text, cls = "") {
  const el = document.createElement("li");
  el.className = `row compact ${cls}`.trim();
  el.textContent = text;
  return el;
}

function emptyLi() {
  return li(t("none_yet"), "muted");
}

function testRows(app, person, measure, policy, today) {
  const stored = app.model.list("tests").filter((x) => x.person_id === person.id)
    .sort((a, b) => String(a.due_date || a.sampled_at).localeCompare(String(b.due_date || b.sampled_at)));
  // Without stored tests (an older measure) the policy's schedule says which days are due.
  const planned = stored.length || !measure || !policy ? []
    : rules.schedule(policy, measure.start_date).test_dates.map((d) => ({ due_date: d, result: "pending" }));
  return [...stored, ...planned].map((x) => {
    const taken = x.sampled_at || (x.result && x.result !== "pending");
    const state = taken ? label("test_result", x.result) || t("test_taken")
      : (x.due_date && x.due_date < today ? t("test_overdue") : t("test_due"));
    const row = li(`${x.due_date || ""} · ${state}`, taken ? "done" : (x.due_date < today ? "late" : ""));
    row.dataset.due = x.due_date || "";
    row.dataset.taken = taken ? "1" : "0";
    return row;
  });
}

function checkRows(app, measures) {
  const rows = [];
  for (const m of measures) {
    const checks = (app.model.derived.checksByMeasure.get(m.id) || []).slice()
      .sort((a, b) => (a.check_date + a.slot < b.check_date + b.slot ? 1 : -1));
    for (const c of checks) {
      const lead = rules.needsFeverLead(c.temperature, c.symptoms);
      const temp = c.temperature == null ? t("no_temperature") : `${c.temperature} °C`;
      const row = li(`${c.check_date} ${label("slot", c.slot)} · ${temp}`, lead ? "fever" : "");
      row.dataset.temp = c.temperature == null ? "" : String(c.temperature);
      row.dataset.lead = lead ? "1" : "0";
      rows.push(row);
    }
  }
  return rows;
}

function leadRows(app, measures) {
  const rows = [];
  for (const m of measures) {
    for (const c of app.model.derived.checksByMeasure.get(m.id) || []) {
      if (!rules.needsFeverLead(c.temperature, c.symptoms)) continue;
      const found = [c.temperature == null ? "" : `${c.temperature} °C`,
        ...(c.symptoms || []).map((s) => label("symptom", s))].filter(Boolean).join("、");
      const when = `${c.check_date} ${label("slot", c.slot)}`;
      const waiting = app.model.pendingFor("checks", c.id);
      const row = li(t(waiting ? "fever_lead_waiting" : "fever_lead_sent", { when, found }), "fever");
      row.dataset.lead = c.id;
      row.dataset.sent = waiting ? "0" : "1";
      rows.push({ key: c.check_date + c.slot, row });
    }
  }
  return rows.sort((a, b) => (a.key < b.key ? 1 : -1)).map((x) => x.row);
}

export function follow(app, personId) {
  const node = document.createElement("div");
  const draw = () => {
    const p = app.model.get("persons", personId);
    if (!p) {
      node.replaceChildren(notFound().node);
      return;
    }
    const frag = tpl("t-follow");
    const today = app.model.today();
    const measures = app.model.measures(personId).slice()
      .sort((a, b) => (a.start_date < b.start_date ? 1 : -1));
    const active = app.model.activeMeasure(personId);
    const m = active || measures[0] || null;
    const policy = m ? app.model.policyOf(m) : null;
    const end = m ? m.end_date ?? (policy ? rules.schedule(policy, m.start_date).end_date : null) : null;
    const total = m && end ? rules.daysBetween(m.start_date, end) : null;
    const dayN = m ? Math.min(rules.dayNumber(m.start_date, today), total ?? Infinity) : null;
    fill(frag, {
      name: p.name, who: `${label("category", p.category)} · ${p.relation || ""}`,
      measure: m ? label("measure", m.kind) : "", start: m ? m.start_date : "", end: end || "—",
      day: m && active ? t("day_n_of_m", { n: dayN, m: total ?? "?" }) : "",
      status: m ? label("measure_status", m.status) : "",
    });
    show($(frag, '[data-box="measure"]'), Boolean(m));
    show($(frag, '[data-box="none"]'), !m);
    $(frag, '[data-link="back"]').href = `#/p/${encodeURIComponent(personId)}`;
    $(frag, '[data-link="edit"]').href = `#/p/${encodeURIComponent(personId)}`;
    show($(frag, '[data-box="actions"]'), true);

    const tests = testRows(app, p, m, policy, today);
    $(frag, "#follow-tests").replaceChildren(...(tests.length ? tests : [emptyLi()]));
    const checks = checkRows(app, measures);
    $(frag, "#follow-checks").replaceChildren(...(checks.length ? checks : [emptyLi()]));
    const missed = [];
    if (active && policy) {
      const done = (app.model.derived.checksByMeasure.get(active.id) || [])
        .map((c) => [c.check_date, c.slot]);
      for (const [d, s] of rules.missedChecks(active.start_date, end, today, done,
        policy.checks_per_day)) missed.push(li(`${d} ${label("slot", s)}`, "late"));
    }
    $(frag, "#follow-missed").replaceChildren(...(missed.length ? missed : [emptyLi()]));

    const reports = app.model.list("fever_reports").filter((r) => r.person_id === personId)
      .map((r) => li(`${fmtTime(Date.parse(r.reported_at || r.created_at), app.tz)} · ${t("fever_report")}`
        + (r.temperature != null ? ` ${r.temperature} °C` : ""), "fever"));
    // The checks that raised a fever lead (the server's rule, rules.needsFeverLead): the
    // worker sees that the finding went on, or goes at the next sync.
    reports.unshift(...leadRows(app, measures));
    if (p.category && rules.needsSpecialReport(p.category)) {
      reports.push(li(t("special_report_sent"), "late"));
    }
    $(frag, "#follow-reports").replaceChildren(...(reports.length ? reports : [emptyLi()]));
    node.replaceChildren(frag);
  };
  draw();
  return { node, refresh: draw };
}
