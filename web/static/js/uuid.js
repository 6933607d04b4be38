// Record and mutation ids are made on the phone. uuid5 gives the daily report the same id
// on every phone (server/reports/rules.py daily_report_id).

export const DAILY_REPORT_NAMESPACE = "6f1c2d4e-8b7a-4c3d-9e2f-1a0b9c8d7e6f";

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function format(bytes) {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function uuid4() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return format(b);
}

// Time-ordered ids for new records and mutations, laid out as wangge_client/ids.py's
// OrderedIds: 48 bits of wall time (ms), version 8, a 12-bit sequence, the variant, then 62
// random bits drawn once per app start. A day's ids share their time prefix and their tail,
// so gzip sends each in a few bytes instead of ~20 for a random UUID: on 2G that is most of
// a day's upload. Unique while the random tails differ (62 bits) or the times do.
let lastMs = 0;
let sequence = 0;
let tail = null;

export function orderedId(now = Date.now()) {
  if (!tail) {
    tail = crypto.getRandomValues(new Uint8Array(8));
    tail[0] = (tail[0] & 0x3f) | 0x80;
  }
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    lastMs += 1;
    sequence = 0;
  }
  const b = new Uint8Array(16);
  let t = lastMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = 0x80 | ((sequence >> 8) & 0x0f);
  b[7] = sequence & 0xff;
  b.set(tail, 8);
  return format(b);
}

function parse(uuid) {
  const h = uuid.replace(/-/g, "");
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// RFC 4122 name-based id, SHA-1: the same bytes Python's uuid.uuid5 hashes.
export async function uuid5(namespace, name) {
  const ns = parse(namespace);
  const text = new TextEncoder().encode(name);
  const input = new Uint8Array(ns.length + text.length);
  input.set(ns, 0);
  input.set(text, ns.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", input)).slice(0, 16);
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  return format(digest);
}

export function dailyReportId(gridId, isoDate) {
  return uuid5(DAILY_REPORT_NAMESPACE, `daily:${gridId}:${isoDate}`);
}
