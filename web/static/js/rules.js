// The field rules the phone needs offline, ported from the server's pure rule modules with
// the same conventions (server/quarantine/rules.py, server/people/rules.py,
// server/visits/rules.py). tests/e2e/js/rules_cases.json is checked against both.
//
// Dates are local calendar dates as "YYYY-MM-DD" strings; times are ISO UTC strings.
// Day offsets count from day 0 = the start day; "第N天" is 1 on the start day; end_date is
// the release date (the first free day, no check due on it).

export const CHECK_SLOTS = ["morning", "evening"];
export const CERTIFICATE_VALID_DAYS = 7;
export const FEVER_THRESHOLD_C = 37.3;
export const CATEGORIES = ["resident", "returnee_low", "returnee_mid_high", "returnee_abroad"];
export const SPECIAL_REPORT_CATEGORIES = new Set(["returnee_mid_high", "returnee_abroad"]);
export const CERTIFICATE_STATES = ["missing", "valid", "expired"];
export const VISIT_OUTCOMES = ["visited", "nobody_home", "refused"];
const DAY_MS = 86400000;

// server/quarantine/rules.py DEFAULT_POLICIES: used until the synced policies arrive.
export const DEFAULT_POLICIES = [
  { id: null, kind: "central_quarantine", version: 1, duration_days: 14, test_days: [0, 13],
    checks_per_day: 2, effective_from: "2021-01-01" },
  { id: null, kind: "home_quarantine", version: 1, duration_days: 14, test_days: [0, 13],
    checks_per_day: 2, effective_from: "2021-01-01" },
  { id: null, kind: "health_monitoring", version: 1, duration_days: 14, test_days: [0, 7],
    checks_per_day: 2, effective_from: "2021-01-01" },
];

// --- dates -------------------------------------------------------------------------------

export function dayIndex(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

export function fromDayIndex(n) {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(iso, days) {
  return fromDayIndex(dayIndex(iso) + days);
}

export function daysBetween(a, b) {
  return dayIndex(b) - dayIndex(a);
}

// The calendar date in `tz` at instant `ms` (16:00 UTC is already tomorrow in China).
export function localDate(ms, tz) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (t) => parts.find((p) => p.type === t).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

export function localHour(ms, tz) {
  const h = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", hour12: false })
    .format(new Date(ms));
  return Number(h) % 24;
}

// --- quarantine (server/quarantine/rules.py) ---------------------------------------------

export function policyFor(kind, on, policies) {
  const candidates = policies.filter((p) => p.kind === kind && p.effective_from <= on);
  if (!candidates.length) return null;
  candidates.sort((a, b) => (a.version - b.version) ||
    (a.effective_from < b.effective_from ? -1 : a.effective_from > b.effective_from ? 1 : 0));
  return candidates[candidates.length - 1];
}

export function schedule(policy, startDate) {
  return {
    start_date: startDate,
    end_date: addDays(startDate, policy.duration_days),
    test_dates: policy.test_days.map((d) => addDays(startDate, d)),
  };
}

export function dayNumber(startDate, today) {
  return daysBetween(startDate, today) + 1;
}

export function slotsFor(checksPerDay) {
  if (!(checksPerDay >= 1 && checksPerDay <= CHECK_SLOTS.length)) {
    throw new RangeError(`checks_per_day must be 1..${CHECK_SLOTS.length}, got ${checksPerDay}`);
  }
  return CHECK_SLOTS.slice(0, checksPerDay);
}

function underMeasure(startDate, endDate, day) {
  return startDate <= day && (endDate == null || day < endDate);
}

export function checksDue(startDate, endDate, status, today, doneSlots, checksPerDay) {
  const slots = slotsFor(checksPerDay);
  if (status !== "active" || !underMeasure(startDate, endDate, today)) return [];
  const done = new Set(doneSlots);
  return slots.filter((s) => !done.has(s));
}

export function missedChecks(startDate, endDate, today, done, checksPerDay) {
  const slots = slotsFor(checksPerDay);
  const stop = endDate == null ? today : (endDate < today ? endDate : today);
  const doneSet = new Set(done.map(([d, s]) => `${d}|${s}`));
  const missed = [];
  for (let day = startDate; day < stop; day = addDays(day, 1)) {
    for (const slot of slots) if (!doneSet.has(`${day}|${slot}`)) missed.push([day, slot]);
  }
  return missed;
}

// --- people (server/people/rules.py) -----------------------------------------------------

export function certificateState(certificateDate, arrivalDate, today) {
  if (certificateDate == null || certificateDate > today) return "missing";
  const reference = arrivalDate != null ? arrivalDate : today;
  return daysBetween(certificateDate, reference) <= CERTIFICATE_VALID_DAYS ? "valid" : "expired";
}

function checkCategory(category) {
  if (!CATEGORIES.includes(category)) throw new RangeError(`unknown person category ${category}`);
}

export function needsSpecialReport(category) {
  checkCategory(category);
  return SPECIAL_REPORT_CATEGORIES.has(category);
}

export function requiredMeasure(category, certificate) {
  checkCategory(category);
  if (!CERTIFICATE_STATES.includes(certificate)) {
    throw new RangeError(`unknown certificate state ${certificate}`);
  }
  if (SPECIAL_REPORT_CATEGORIES.has(category)) return "central_quarantine";
  if (category === "returnee_low" && certificate !== "valid") return "health_monitoring";
  return "none";
}

function mask(s, keepHead, keepTail) {
  if (s == null) return "";
  const t = String(s).trim();
  const chars = Array.from(t);
  const hidden = chars.length - keepHead - keepTail;
  if (hidden < 1) return "*".repeat(chars.length);
  return chars.slice(0, keepHead).join("") + "*".repeat(hidden) +
    chars.slice(chars.length - keepTail).join("");
}

export const maskIdNumber = (s) => mask(s, 6, 4);
export const maskPhone = (s) => mask(s, 3, 4);

// Python's round(x, 1): the exact binary value to the nearest tenth, exact ties to even.
// Exact ties are only the quarters (37.25, 37.75); toFixed rounds those up, Python doesn't.
export function roundTenth(x) {
  if (Number.isInteger(x * 4) && Math.abs(x * 4) % 2 === 1) {
    const lo = Math.floor(x * 10);
    return (lo % 2 === 0 ? lo : lo + 1) / 10;
  }
  return Number(x.toFixed(1));
}

export function isFever(temperature) {
  if (temperature == null || Number.isNaN(temperature)) return false;
  return roundTenth(temperature) >= FEVER_THRESHOLD_C;
}

// Symptoms that make a check's person a fever suspect whatever the thermometer said.
export const LEAD_SYMPTOMS = ["fever", "cough"];

// A check that found a fever or a fever/cough symptom: the server turns it into a fever
// lead for the village clinic and the township health centre (needs_fever_lead).
export function needsFeverLead(temperature, symptoms) {
  return isFever(temperature) || (symptoms || []).some((s) => LEAD_SYMPTOMS.includes(s));
}

// --- visits (server/visits/rules.py) -----------------------------------------------------

export function inCampaign(visitedAt, start, end) {
  const at = Date.parse(visitedAt);
  if (at < Date.parse(start)) return false;
  return end == null || at < Date.parse(end);
}

export function coverageState(visits, campaignStart, campaignEnd) {
  let attempted = false;
  for (const [visitedAt, outcome] of visits) {
    if (!VISIT_OUTCOMES.includes(outcome)) throw new RangeError(`unknown visit outcome ${outcome}`);
    if (!inCampaign(visitedAt, campaignStart, campaignEnd)) continue;
    if (outcome === "visited") return "visited";
    attempted = true;
  }
  return attempted ? "attempted" : "not_visited";
}

// --- what a worker types (server/people/rules.py) ----------------------------------------
// Reasons are codes the screens translate; the server refuses the same values.

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";
const MOBILE = /^1[3-9][0-9]{9}$/;
const LANDLINE = /^0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?$/;
const ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

function todayHere() {
  return localDate(Date.now(), Intl.DateTimeFormat().resolvedOptions().timeZone);
}

function realDate(iso) {
  if (typeof iso !== "string" || !ISO_DATE.test(iso)) return false;
  const [y, m, d] = iso.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

export function idCheckDigit(first17) {
  let total = 0;
  for (let i = 0; i < 17; i++) total += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[total % 11];
}

// GB 11643-1999: 18 characters, birth date 1900-01-01..today, check character by
// ISO 7064 MOD 11-2; the 17th digit is odd for men. Old 15-digit numbers: "length".
// -> {ok, reason: null|"length"|"format"|"birth_date"|"check_digit", birthYear, sex}
export function checkIdNumber(text, todayIso = todayHere()) {
  const fail = (reason) => ({ ok: false, reason, birthYear: null, sex: null });
  const value = String(text ?? "").trim().toUpperCase();
  if (value.length !== 18) return fail("length");
  if (!/^[0-9]{17}[0-9X]$/.test(value)) return fail("format");
  const born = `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
  if (!realDate(born) || born < "1900-01-01" || born > todayIso) return fail("birth_date");
  if (idCheckDigit(value.slice(0, 17)) !== value[17]) return fail("check_digit");
  return { ok: true, reason: null, birthYear: Number(value.slice(6, 10)),
    sex: Number(value[16]) % 2 ? "male" : "female" };
}

// A mobile (1[3-9] + 9 digits) or a landline (0 + 2-3 digits, "-"?, 7-8 digits, "-ext"?).
// -> {ok, reason: null|"format", kind: "mobile"|"landline"|null}
export function checkPhone(text) {
  const value = String(text ?? "").trim();
  if (MOBILE.test(value)) return { ok: true, reason: null, kind: "mobile" };
  if (LANDLINE.test(value)) return { ok: true, reason: null, kind: "landline" };
  return { ok: false, reason: "format", kind: null };
}

// A day that cannot lie ahead (arrival, certificate): {ok, reason: null|"format"|"future"}.
export function checkPastDate(iso, todayIso = todayHere()) {
  if (!realDate(iso)) return { ok: false, reason: "format" };
  return iso > todayIso ? { ok: false, reason: "future" } : { ok: true, reason: null };
}

// --- daily reports (server/reports/rules.py) ---------------------------------------------

export const REPORT_COUNTS = ["households_visited", "new_returnees", "under_measure",
  "checks_done", "fever_found"];

export function hasFindings(report) {
  if (report == null || report.is_zero) return false;
  return REPORT_COUNTS.some((name) => Boolean(report[name]));
}

// A zero report over a report with findings would erase them: correct the report instead.
export function zeroReportAllowed(existingReport) {
  return !hasFindings(existingReport);
}

// --- where a returnee came from (server/people/rules.py) ---------------------------------

const RISK_LEVELS = ["mid", "high"];
const same = (wanted, have) => !wanted || String(wanted).trim() === String(have ?? "").trim();

// "returnee_mid_high" when origin {province, city, district} lies in a medium/high-risk
// area in effect on the day (effective_from inclusive, effective_to exclusive or null);
// an area naming no city (district) covers the whole province (city). Else null.
export function riskCategoryFor(origin, riskAreas, onDateIso) {
  const province = String(origin?.province ?? "").trim();
  if (!province) return null;
  for (const area of riskAreas || []) {
    if (!RISK_LEVELS.includes(area.level) || !area.effective_from) continue;
    if (onDateIso < area.effective_from) continue;
    if (area.effective_to != null && onDateIso >= area.effective_to) continue;
    if (String(area.province ?? "").trim() === province && same(area.city, origin.city) &&
        same(area.district, origin.district)) return "returnee_mid_high";
  }
  return null;
}
