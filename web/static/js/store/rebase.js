// What the user sees: the server-confirmed snapshot with the outbox replayed on top.
// Pure functions shared by both store implementations and the in-page model.

// One outbox entry on top of a record (or of nothing, for a new record).
export function replayOne(record, entry) {
  if (entry.op === "del") return null;
  const base = record ? { ...record } : { id: entry.rid };
  Object.assign(base, entry.data);
  base._pending = true;
  return base;
}

// entries: outbox entries in order (oldest first), any collection.
export function replay(col, id, record, entries) {
  let out = record ? { ...record } : null;
  for (const e of entries) {
    if (e.col === col && e.rid === id) out = replayOne(out, e);
  }
  return out;
}

// Every record of `col`: snapshot records (any order) with the outbox on top, sorted by id.
export function replayAll(col, records, entries) {
  const byId = new Map(records.map((r) => [r.id, { ...r }]));
  for (const e of entries) {
    if (e.col !== col) continue;
    const next = replayOne(byId.get(e.rid) || null, e);
    if (next === null) byId.delete(e.rid);
    else byId.set(e.rid, next);
  }
  return [...byId.values()].sort((a, b) => compareKeys(a.id, b.id));
}

// IndexedDB key order for the ids we use: numbers before strings, then natural order.
export function compareKeys(a, b) {
  const ta = typeof a === "number" ? 0 : 1;
  const tb = typeof b === "number" ? 0 : 1;
  if (ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

// Rows in column form ({cols, rows}) to record objects.
export function fromColumns(page) {
  const { cols, rows } = page;
  return rows.map((row) => {
    const rec = {};
    for (let i = 0; i < cols.length; i++) rec[cols[i]] = row[i];
    return rec;
  });
}
