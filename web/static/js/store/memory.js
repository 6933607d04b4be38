// The in-memory twin of the IndexedDB store: same interface, same transaction semantics
// (each call is one all-or-nothing unit, calls run one at a time). Used by the contract
// suite and wherever IndexedDB is unavailable.

import { applySyncResponse } from "./apply.js";
import { enqueueCore } from "./enqueue.js";
import { compareKeys, replay, replayAll } from "./rebase.js";

const clone = (v) => (v === undefined ? undefined : structuredClone(v));

function emptyState() {
  return { records: new Map(), outbox: [], seq: 0, rejected: new Map(), meta: new Map() };
}

function copyState(s) {
  const records = new Map();
  for (const [col, m] of s.records) records.set(col, new Map(m));
  return {
    records, outbox: s.outbox.slice(), seq: s.seq,
    rejected: new Map(s.rejected), meta: new Map(s.meta),
  };
}

function txOver(s) {
  const col = (name) => {
    if (!s.records.has(name)) s.records.set(name, new Map());
    return s.records.get(name);
  };
  return {
    outboxById: async (id) => clone(s.outbox.find((e) => e.id === id)),
    outboxForRid: async (c, rid) => s.outbox.filter((e) => e.col === c && e.rid === rid).map(clone),
    deleteOutbox: async (entry) => { s.outbox = s.outbox.filter((e) => e.seq !== entry.seq); },
    putOutbox: async (entry) => {
      s.outbox = s.outbox.map((e) => (e.seq === entry.seq ? clone(entry) : e));
    },
    addOutbox: async (entry) => {
      s.seq += 1;
      s.outbox.push(clone({ ...entry, seq: s.seq }));
      return s.seq;
    },
    getRecord: async (c, id) => clone(col(c).get(id)),
    putRecord: async (c, rec) => { col(c).set(rec.id, clone(rec)); },
    deleteRecord: async (c, id) => { col(c).delete(id); },
    clearRecords: async () => { s.records = new Map(); },
    addRejected: async (entry) => { s.rejected.set(entry.id, clone(entry)); },
    getMeta: async (k) => clone(s.meta.get(k)),
    setMeta: async (k, v) => { s.meta.set(k, clone(v)); },
  };
}

export class MemoryStore {
  constructor(name = "memory") {
    this.name = name;
    this.kind = "memory";
    this._state = emptyState();
    this._queue = Promise.resolve();
  }

  // One unit of work: run `fn` on a copy, keep the copy only if `fn` finished.
  _tx(fn) {
    const run = async () => {
      const draft = copyState(this._state);
      const out = await fn(txOver(draft), draft);
      this._state = draft;
      return clone(out);
    };
    const result = this._queue.then(run, run);
    this._queue = result.catch(() => undefined);
    return result;
  }

  get(col, id) { return this._tx((tx) => tx.getRecord(col, id)); }

  all(col) {
    return this._tx((_tx, s) =>
      [...(s.records.get(col) || new Map()).values()].sort((a, b) => compareKeys(a.id, b.id)));
  }

  count(col) { return this._tx((_tx, s) => (s.records.get(col) || new Map()).size); }

  putRecords(col, records) {
    return this._tx(async (tx) => { for (const r of records) await tx.putRecord(col, r); });
  }

  enqueue(mutation, options) { return this._tx((tx) => enqueueCore(tx, mutation, options)); }

  takeBatch(limit = 500) {
    return this._tx((_tx, s) => {
      const batch = s.outbox.slice(0, limit);
      s.outbox = s.outbox.map((e, i) => (i < limit ? { ...e, sent: true } : e));
      return batch.map((e) => ({ ...e, sent: true }));
    });
  }

  outbox() { return this._tx((_tx, s) => s.outbox.slice()); }
  pendingCount() { return this._tx((_tx, s) => s.outbox.length); }

  rejected() {
    return this._tx((_tx, s) => [...s.rejected.values()].sort((a, b) => a.seq - b.seq));
  }

  dismissRejected(id) { return this._tx(async (_tx, s) => { s.rejected.delete(id); }); }
  getMeta(key) { return this._tx((tx) => tx.getMeta(key)); }
  setMeta(key, value) { return this._tx((tx) => tx.setMeta(key, value)); }
  applySync(response, options) { return this._tx((tx) => applySyncResponse(tx, response, options)); }

  resetSnapshot() {
    return this._tx(async (tx) => { await tx.clearRecords(); await tx.setMeta("cursor", null); });
  }

  view(col, id) {
    return this._tx((_tx, s) => replay(col, id, (s.records.get(col) || new Map()).get(id), s.outbox));
  }

  viewAll(col) {
    return this._tx((_tx, s) => replayAll(col, [...(s.records.get(col) || new Map()).values()], s.outbox));
  }

  exportUnsynced() {
    return this._tx((_tx, s) => ({
      outbox: s.outbox.slice(), rejected: [...s.rejected.values()].sort((a, b) => a.seq - b.seq),
    }));
  }

  // Test hook: what a crash in the middle of a unit of work leaves behind (nothing).
  failNextTx() {
    const real = this._tx.bind(this);
    this._tx = (fn) => {
      this._tx = real;
      return real(async (tx, s) => { await fn(tx, s); throw new Error("simulated crash"); });
    };
  }

  close() {}
}
