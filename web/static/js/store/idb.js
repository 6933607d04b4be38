// The real store: one IndexedDB database per user. Every public call is one IndexedDB
// transaction, so a sync response is applied wholly or not at all, even if the tab dies.
//
// Object stores: records (key [col, id]), outbox (key seq, auto; indexes id, rid),
// rejected (key id), meta (key = name: cursor, device, hlc, last_sync, persisted, ...).

import { applySyncResponse } from "./apply.js";
import { enqueueCore } from "./enqueue.js";
import { replay, replayAll } from "./rebase.js";

const VERSION = 1;
const STORES = ["records", "outbox", "rejected", "meta"];

export function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function openDatabase(name, version, upgrade) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => upgrade(req.result, req.transaction);
    req.onsuccess = () => {
      const db = req.result;
      // Another tab opening a newer schema asks us to let go.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`database ${name} is blocked by another tab`));
  });
}

function upgrade(db) {
  if (!db.objectStoreNames.contains("records")) db.createObjectStore("records");
  if (!db.objectStoreNames.contains("outbox")) {
    const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    outbox.createIndex("id", "id", { unique: true });
    outbox.createIndex("rid", ["col", "rid"]);
  }
  if (!db.objectStoreNames.contains("rejected")) db.createObjectStore("rejected", { keyPath: "id" });
  if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
}

const colRange = (col) => IDBKeyRange.bound([col], [col, []]);

function txOver(t) {
  const records = t.objectStore("records");
  const outbox = t.objectStore("outbox");
  const rejected = t.objectStore("rejected");
  const meta = t.objectStore("meta");
  return {
    outboxById: (id) => promised(outbox.index("id").get(id)),
    outboxForRid: (col, rid) => promised(outbox.index("rid").getAll([col, rid]))
      .then((list) => list.sort((a, b) => a.seq - b.seq)),
    deleteOutbox: (entry) => promised(outbox.delete(entry.seq)),
    putOutbox: (entry) => promised(outbox.put(entry)),
    addOutbox: (entry) => {
      const { seq: _ignored, ...rest } = entry;
      return promised(outbox.add(rest)).then((seq) => {
        entry.seq = seq;
        return seq;
      });
    },
    getRecord: (col, id) => promised(records.get([col, id])),
    putRecord: (col, rec) => promised(records.put(rec, [col, rec.id])),
    deleteRecord: (col, id) => promised(records.delete([col, id])),
    clearRecords: () => promised(records.clear()),
    addRejected: (entry) => promised(rejected.put(entry)),
    getMeta: (key) => promised(meta.get(key)),
    setMeta: (key, value) => promised(meta.put(value, key)),
    recordsOf: (col) => promised(records.getAll(colRange(col))),
    countOf: (col) => promised(records.count(colRange(col))),
    allOutbox: () => promised(outbox.getAll()),
    allRejected: () => promised(rejected.getAll()).then((l) => l.sort((a, b) => a.seq - b.seq)),
    raw: { records, outbox, rejected, meta },
  };
}

export class IdbStore {
  static async open(name) {
    const store = new IdbStore(name, await openDatabase(name, VERSION, upgrade));
    return store;
  }

  constructor(name, db) {
    this.name = name;
    this.kind = "indexeddb";
    this.db = db;
    this._abortNext = false;
  }

  // One IndexedDB transaction; resolves with fn's value once the transaction committed.
  _tx(mode, fn) {
    return new Promise((resolve, reject) => {
      const t = this.db.transaction(STORES, mode, { durability: "strict" });
      const abort = this._abortNext;
      this._abortNext = false;
      let value;
      let failure = null;
      t.oncomplete = () => resolve(value);
      t.onabort = () => reject(failure || t.error || new Error("transaction aborted"));
      Promise.resolve()
        .then(() => fn(txOver(t)))
        .then((v) => {
          value = v;
          if (abort) {
            failure = new Error("simulated crash");
            t.abort();
          }
        })
        .catch((err) => {
          failure = err;
          try { t.abort(); } catch { reject(err); }
        });
    });
  }

  get(col, id) { return this._tx("readonly", (tx) => tx.getRecord(col, id)); }
  all(col) { return this._tx("readonly", (tx) => tx.recordsOf(col)); }
  count(col) { return this._tx("readonly", (tx) => tx.countOf(col)); }

  putRecords(col, records) {
    return this._tx("readwrite", (tx) => Promise.all(records.map((r) => tx.putRecord(col, r))));
  }

  enqueue(mutation, options) {
    return this._tx("readwrite", (tx) => enqueueCore(tx, mutation, options));
  }

  takeBatch(limit = 500) {
    return this._tx("readwrite", async (tx) => {
      const batch = await promised(tx.raw.outbox.getAll(null, limit));
      await Promise.all(batch.map((e) => { e.sent = true; return tx.putOutbox(e); }));
      return batch;
    });
  }

  outbox() { return this._tx("readonly", (tx) => tx.allOutbox()); }
  pendingCount() { return this._tx("readonly", (tx) => promised(tx.raw.outbox.count())); }
  rejected() { return this._tx("readonly", (tx) => tx.allRejected()); }
  dismissRejected(id) { return this._tx("readwrite", (tx) => promised(tx.raw.rejected.delete(id))); }
  getMeta(key) { return this._tx("readonly", (tx) => tx.getMeta(key)); }
  setMeta(key, value) { return this._tx("readwrite", (tx) => tx.setMeta(key, value)); }
  applySync(response, options) {
    return this._tx("readwrite", (tx) => applySyncResponse(tx, response, options));
  }

  resetSnapshot() {
    return this._tx("readwrite", async (tx) => {
      await tx.clearRecords();
      await tx.setMeta("cursor", null);
    });
  }

  view(col, id) {
    return this._tx("readonly", async (tx) =>
      replay(col, id, await tx.getRecord(col, id), await tx.allOutbox()));
  }

  viewAll(col) {
    return this._tx("readonly", async (tx) =>
      replayAll(col, await tx.recordsOf(col), await tx.allOutbox()));
  }

  exportUnsynced() {
    return this._tx("readonly", async (tx) => ({
      outbox: await tx.allOutbox(), rejected: await tx.allRejected(),
    }));
  }

  failNextTx() { this._abortNext = true; }

  close() { this.db.close(); }
}
