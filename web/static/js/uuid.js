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
