// The sentinel's rules, pure (no DOM, no storage) so tests can call them with tables:
// checking what the form was given, the two-hour clock, and wall time in the server's zone.

export const REPORT_DEADLINE_MS = 2 * 60 * 60 * 1000;
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

// A resident ID number: 18 characters whose last is the GB 11643 check character, or an
// old 15-digit one. Returns the normalised number (upper-case X), or null when not valid.
export function checkIdNumber(value) {
  const s = String(value || "").trim().toUpperCase();
  if (/^\d{15}$/.test(s)) return s;
  if (!/^\d{17}[\dX]$/.test(s)) return null;
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(s[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11] === s[17] ? s : null;
}

// A phone to call the patient back: a mobile (11 digits from 1) or a landline with its area
// code (7 to 12 digits, one dash allowed). Spaces are dropped. Normalised, or null.
export function checkPhone(value) {
  const s = String(value || "").replace(/\s+/g, "");
  if (/^1\d{10}$/.test(s)) return s;
  if (/^0\d{2,3}-?\d{7,8}$/.test(s) || /^\d{7,8}$/.test(s)) return s;
  return null;
}

// "Age or birth year" in one box: a number from 1880 on is a birth year. Returns
// {age, birth_year} (either may be null), or null when the number fits neither.
export function ageOrBirthYear(value, thisYear) {
  const s = String(value ?? "").trim();
  if (s === "") return { age: null, birth_year: null };
  if (!/^\d{1,4}$/.test(s)) return null;
  const n = Number(s);
  if (n <= 150) return { age: n, birth_year: null };
  if (n >= 1880 && n <= thisYear) return { age: thisYear - n, birth_year: n };
  return null;
}

// The instant the clock counts from: the server's corrected "seen at" once the report
// synced, else what this phone said.
export function seenAtMs(report) {
  return Date.parse(report.seen_at || report.seen_at_device);
}

// Milliseconds left to the deadline (negative when overdue). `nowMs` is this phone's clock
// and `offsetMs` its measured lead over the server (device minus server): a synced report's
// time is on the server's clock, an unsynced one's on this phone's.
export function msLeft(report, nowMs, offsetMs = 0) {
  const deadline = seenAtMs(report) + REPORT_DEADLINE_MS;
  const now = report.seen_at ? nowMs - (offsetMs || 0) : nowMs;
  return deadline - now;
}

// "1:05:09" for a duration (its sign dropped).
export function hms(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}

function zoneParts(ms, tz) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: get("year"), mo: get("month"), d: get("day"), h: get("hour"), mi: get("minute"),
    s: get("second") };
}

// An instant as a datetime-local value ("2026-12-02T09:05") on the wall clock of `tz`.
export function toLocalInput(ms, tz) {
  const p = zoneParts(ms, tz);
  const two = (n) => String(n).padStart(2, "0");
  return `${p.y}-${two(p.mo)}-${two(p.d)}T${two(p.h)}:${two(p.mi)}`;
}

// A datetime-local value read on the wall clock of `tz`, as an instant (NaN if unreadable).
export function fromLocalInput(value, tz) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(String(value || ""));
  if (!m) return NaN;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let ms = wall;
  // The zone's offset at the instant itself: twice, for a wall time near a DST change.
  for (let i = 0; i < 2; i += 1) {
    const p = zoneParts(ms, tz);
    const offset = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - ms;
    ms = wall - offset;
  }
  return ms;
}
