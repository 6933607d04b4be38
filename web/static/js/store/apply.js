// Applying one SyncResponse to a store, as one unit (docs/sync-protocol.md, "SyncResponse"
// and "MutationResult"). Both store implementations run this same code against their own
// transaction object, so they cannot drift apart:
//
//   tx.outboxById(id) -> entry | undefined      tx.deleteOutbox(entry)
//   tx.outboxForRid(col, rid) -> entries         tx.putOutbox(entry)
//   tx.getRecord(col, id) -> record | undefined  tx.putRecord(col, record)
//   tx.deleteRecord(col, id)                     tx.clearRecords()
//   tx.addRejected(entry)                        tx.setMeta(key, value)

import { receive } from "../hlc.js";
import { fromColumns } from "./rebase.js";

function emptySummary() {
  return {
    applied: 0, merged: 0, conflict: 0, rejected: 0, unknown: 0,
    changed: 0, removed: 0, reset: null, collections: [],
  };
}

async function applyResult(tx, result, summary, touched, firstSync) {
  const entry = await tx.outboxById(result.id);
  if (!entry) {
    // Acknowledged by an earlier response whose entry already left the outbox.
    summary.unknown += 1;
    return;
  }
  await tx.deleteOutbox(entry);
  touched.add(entry.col);
  if (result.status === "rejected") {
    await tx.addRejected({
      ...entry, sent: undefined, code: result.code || "rejected",
      message: result.message || "", rejected_at: Date.now(),
    });
    summary.rejected += 1;
    return;
  }
  if (result.status !== "applied") {
    // merged / conflict: the server's record arrives in `changes`.
    summary[result.status === "conflict" ? "conflict" : "merged"] += 1;
    return;
  }
  summary.applied += 1;
  if (entry.op === "del") {
    await tx.deleteRecord(entry.col, entry.rid);
    return;
  }
  // On a first sync (cursor null) the snapshot brings every record in scope, ours included;
  // confirming our own data too could keep a record that has since left our scope (a
  // replayed write after a move) with no removal ever to follow.
  if (firstSync) return;
  const current = await tx.getRecord(entry.col, entry.rid);
  // `set`: what the server added to a new record (its area, defaults); the row is not echoed.
  const record = { ...(current || {}), ...entry.data, ...(result.set || {}), id: entry.rid };
  if (result.rev != null) record.rev = result.rev;
  await tx.putRecord(entry.col, record);
  if (result.rev == null) return;
  // Later edits of this record not yet sent were made on top of this one: they now build
  // on the revision the server gave it, not on a concurrent edit.
  for (const later of await tx.outboxForRid(entry.col, entry.rid)) {
    if (!later.sent && later.seq > entry.seq && (later.base == null || later.base < result.rev)) {
      await tx.putOutbox({ ...later, base: result.rev });
    }
  }
}

// The server's clock: the offset it measured corrects our HLC, and our HLC never stamps
// below the server's time again.
async function observeClock(tx, response) {
  let offset = (await tx.getMeta("clock_offset")) || 0;
  if (typeof response.clock_offset === "number") {
    offset = response.clock_offset;
    await tx.setMeta("clock_offset", offset);
  }
  if (typeof response.server_time === "number") {
    const state = await tx.getMeta("hlc");
    await tx.setMeta("hlc", receive(state, response.server_time, Date.now() - offset));
  }
}

export async function applySyncResponse(tx, response, { firstSync = false } = {}) {
  const summary = emptySummary();
  const touched = new Set();
  await observeClock(tx, response);
  for (const result of response.results || []) {
    await applyResult(tx, result, summary, touched, firstSync);
  }

  if (response.reset) {
    // Drop the snapshot and the cursor, keep the outbox: the next request re-pulls.
    await tx.clearRecords();
    await tx.setMeta("cursor", null);
    summary.reset = response.reset;
    summary.collections = [...touched];
    return summary;
  }

  for (const [col, ids] of Object.entries(response.removed || {})) {
    touched.add(col);
    await Promise.all(ids.map((id) => tx.deleteRecord(col, id)));
    summary.removed += ids.length;
  }
  for (const [col, page] of Object.entries(response.changes || {})) {
    const records = fromColumns(page);
    if (!records.length) continue;
    touched.add(col);
    const existing = await Promise.all(records.map((r) => tx.getRecord(col, r.id)));
    const writes = [];
    records.forEach((rec, i) => {
      const old = existing[i];
      // Never step a record back: a change older than what we hold is stale.
      if (old && old.rev != null && rec.rev != null && rec.rev < old.rev) return;
      writes.push(rec.deleted ? tx.deleteRecord(col, rec.id) : tx.putRecord(col, rec));
    });
    await Promise.all(writes);
    summary.changed += writes.length;
  }
  if (response.cursor !== undefined) await tx.setMeta("cursor", response.cursor);
  summary.collections = [...touched];
  return summary;
}
