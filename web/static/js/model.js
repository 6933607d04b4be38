// What the screens read: every collection of the user's store, as the snapshot with the
// outbox replayed on top, held in memory with the indexes the screens need. A grid is a
// few thousand small records; reading them once and answering from memory keeps typing
// and scrolling light on a cheap phone.

import { replayAll } from "./store/rebase.js";
import * as rules from "./rules.js";

export const COLLECTIONS = [
  "areas", "policies", "campaigns", "households", "persons", "measures", "visits", "checks",
  "tests", "daily_reports", "conflicts", "risk_areas", "facilities", "fever_reports", "fever_events",
  "reminders",
];
// Measures followed with daily checks (hospital patients are followed by the hospital).
const CHECKED_KINDS = new Set(["central_quarantine", "home_quarantine", "health_monitoring"]);

function group(list, key) {
  const out = new Map();
  for (const item of list) {
    const k = item[key];
    if (!out.has(k)) out.set(k, []);
    out.get(k).push(item);
  }
  return out;
}

export class Model {
  // tz: the server's time zone setting (the shell's data-tz), which decides "today"
  constructor(store, user, tz) {
    this.store = store;
    this.user = user;
    this.tz = tz;
    this.snapshot = new Map();
    this.views = new Map();
    this.outbox = [];
    this.rejected = [];
    this._derived = null;
  }

  async load() {
    const lists = await Promise.all(COLLECTIONS.map((c) => this.store.all(c)));
    COLLECTIONS.forEach((c, i) => this.snapshot.set(c, lists[i]));
    await this.reloadOutbox();
  }

  // After a local write: the snapshot is unchanged, only the replayed views move.
  async reloadOutbox() {
    [this.outbox, this.rejected] = await Promise.all([this.store.outbox(), this.store.rejected()]);
    for (const c of COLLECTIONS) {
      this.views.set(c, new Map(replayAll(c, this.snapshot.get(c) || [], this.outbox)
        .map((r) => [r.id, r])));
    }
    this._derived = null;
  }

  list(col) { return [...(this.views.get(col) || new Map()).values()]; }
  get(col, id) { return (this.views.get(col) || new Map()).get(id) || null; }

  // The rev the phone last confirmed with the server: an edit's `base`.
  snapshotRev(col, id) {
    const rec = (this.snapshot.get(col) || []).find((r) => r.id === id);
    return rec && rec.rev != null ? rec.rev : null;
  }

  pendingFor(col, id) { return this.outbox.some((e) => e.col === col && e.rid === id); }
  get pendingCount() { return this.outbox.length; }

  now() { return Date.now(); }
  today() { return rules.localDate(this.now(), this.tz); }

  get derived() {
    if (!this._derived) this._derived = this._derive();
    return this._derived;
  }

  _derive() {
    const persons = this.list("persons");
    const checks = this.list("checks");
    return {
      personsByHousehold: group(persons, "household_id"),
      measuresByPerson: group(this.list("measures"), "person_id"),
      visitsByHousehold: group(this.list("visits"), "household_id"),
      checksByMeasure: group(checks, "measure_id"),
      policies: this.list("policies"),
      campaign: this._campaign(),
      flags: new Map(),
    };
  }

  _campaign() {
    const now = this.now();
    const open = this.list("campaigns")
      .filter((c) => Date.parse(c.starts_on) <= now && (c.ends_on == null || now < Date.parse(c.ends_on)))
      .sort((a, b) => Date.parse(b.starts_on) - Date.parse(a.starts_on));
    return open[0] || null;
  }

  members(householdId) { return this.derived.personsByHousehold.get(householdId) || []; }
  visits(householdId) {
    return (this.derived.visitsByHousehold.get(householdId) || [])
      .slice().sort((a, b) => (a.visited_at < b.visited_at ? 1 : -1));
  }
  measures(personId) { return this.derived.measuresByPerson.get(personId) || []; }
  // The episode a person is under now. Two phones may each have opened one while offline
  // (the person's `measure` then waits for review): the one matching it counts.
  activeMeasure(personId) {
    const active = this.measures(personId).filter((m) => m.status === "active")
      .sort((a, b) => (a.start_date < b.start_date ? 1 : -1));
    const person = this.get("persons", personId);
    return active.find((m) => person && m.kind === person.measure) || active[0] || null;
  }

  policyOf(measure) {
    const policies = this.derived.policies;
    if (measure.policy_id != null) {
      const p = policies.find((x) => x.id === measure.policy_id);
      if (p) return p;
    }
    return rules.policyFor(measure.kind, measure.start_date, policies) ||
      rules.policyFor(measure.kind, measure.start_date, rules.DEFAULT_POLICIES);
  }

  visitState(householdId) {
    const c = this.derived.campaign;
    const start = c ? c.starts_on : "1970-01-01T00:00:00Z";
    const end = c ? c.ends_on : null;
    return rules.coverageState(this.visits(householdId).map((v) => [v.visited_at, v.outcome]),
      start, end);
  }

  // Checks due today for one measure: [{slot, done}] (empty when none are due at all).
  slotsToday(measure, today = this.today()) {
    if (!CHECKED_KINDS.has(measure.kind)) return [];
    const policy = this.policyOf(measure);
    if (!policy) return [];
    const endDate = measure.end_date ?? rules.schedule(policy, measure.start_date).end_date;
    const doneSlots = (this.derived.checksByMeasure.get(measure.id) || [])
      .filter((c) => c.check_date === today).map((c) => c.slot);
    const all = rules.checksDue(measure.start_date, endDate, measure.status, today, [],
      policy.checks_per_day);
    return all.map((slot) => ({ slot, done: doneSlots.includes(slot) }));
  }

  // Today's checks: every person under an active measure with a slot today.
  dueToday() {
    const today = this.today();
    const rows = [];
    for (const person of this.list("persons")) {
      if (!person.measure || person.measure === "none") continue;
      const m = this.activeMeasure(person.id);
      if (!m) continue;
      const slots = this.slotsToday(m, today);
      if (!slots.length) continue;
      rows.push({ measure: m, person, household: this.get("households", person.household_id),
        slots, day: rules.dayNumber(m.start_date, today) });
    }
    rows.sort((a, b) => (a.slots.every((s) => s.done) - b.slots.every((s) => s.done)) ||
      (a.person.name < b.person.name ? -1 : 1));
    return rows;
  }

  householdFlags(h) {
    const cache = this.derived.flags;
    if (cache.has(h.id)) return cache.get(h.id);
    const members = this.members(h.id);
    const today = this.today();
    let due = false;
    for (const p of members) {
      const m = this.activeMeasure(p.id);
      if (m && this.slotsToday(m, today).some((s) => !s.done)) due = true;
    }
    const flags = {
      returnees: members.filter((p) => p.category && p.category !== "resident").length,
      underMeasure: members.filter((p) => p.measure && p.measure !== "none").length,
      due,
      visit: this.visitState(h.id),
      pending: this.pendingFor("households", h.id) ||
        members.some((p) => this.pendingFor("persons", p.id)),
      search: [h.head_name, h.doorplate, h.address, h.phone,
        ...members.flatMap((p) => [p.name, p.phone, p.id_number])].filter(Boolean).join(" ")
        .toLowerCase(),
      // Digits alone: "0211" finds an ID number or phone however it was typed.
      digits: [h.phone, ...members.flatMap((p) => [p.phone, p.id_number])].filter(Boolean)
        .map((x) => String(x).replace(/[^0-9xX]/g, "").toLowerCase()).join(" "),
    };
    cache.set(h.id, flags);
    return flags;
  }

  households({ query = "", filters = new Set() } = {}) {
    const q = query.trim().toLowerCase();
    const qDigits = /^[0-9xX\s-]+$/.test(q) ? q.replace(/[\s-]/g, "") : "";
    return this.list("households")
      .filter((h) => {
        const f = this.householdFlags(h);
        if (q && !f.search.includes(q) && !(qDigits && f.digits.includes(qDigits))) return false;
        if (filters.has("unvisited") && f.visit === "visited") return false;
        if (filters.has("returnees") && !f.returnees) return false;
        if (filters.has("measure") && !f.underMeasure) return false;
        if (filters.has("due") && !f.due) return false;
        return true;
      })
      .sort((a, b) => String(a.doorplate).localeCompare(String(b.doorplate), "zh-CN", {
        numeric: true }) || (a.head_name < b.head_name ? -1 : 1));
  }

  // The counts a daily report starts from, all from data on this phone.
  reportCounts(day = this.today()) {
    const visitedToday = new Set(this.list("visits")
      .filter((v) => v.outcome === "visited" && rules.localDate(Date.parse(v.visited_at), this.tz) === day)
      .map((v) => v.household_id));
    const checks = this.list("checks").filter((c) => c.check_date === day);
    const persons = this.list("persons");
    return {
      households_visited: visitedToday.size,
      new_returnees: persons.filter((p) => p.category !== "resident" && p.arrival_date === day).length,
      under_measure: persons.filter((p) => p.measure && p.measure !== "none").length,
      checks_done: checks.length,
      fever_found: checks.filter((c) => rules.isFever(c.temperature)).length,
    };
  }

  conflictsWaiting() {
    return this.list("conflicts").filter((c) => c.status === "pending")
      .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  }

  attentionCount() { return this.rejected.length + this.conflictsWaiting().length; }

  // A supervisor's reminders to this grid not yet acknowledged on any phone, newest first
  // (an acknowledgement waiting in the outbox counts: the card goes at once, offline too).
  unreadReminders() {
    return this.list("reminders").filter((r) => !r.read_at && !r.deleted)
      .sort((a, b) => (a.sent_at < b.sent_at ? 1 : -1));
  }

  // A short human label for a record of any collection (for rejected edits and conflicts).
  labelOf(col, id, data = {}) {
    const rec = { ...(this.get(col, id) || {}), ...data };
    if (col === "households") return rec.head_name || "";
    if (col === "persons") return rec.name || "";
    if (col === "measures" || col === "checks") {
      const p = this.get("persons", rec.person_id);
      return p ? p.name : "";
    }
    if (col === "visits") {
      const h = this.get("households", rec.household_id);
      return h ? h.head_name : "";
    }
    if (col === "daily_reports") return rec.report_date || "";
    if (col === "fever_reports") return rec.patient_name || "";
    if (col === "reminders") return rec.message || "";
    return "";
  }
}
