// The client store (docs/sync-protocol.md, "What a client must do"): per user, the confirmed snapshot,
// the outbox, rejected edits, the cursor, the device and a few facts about the phone.
// Two implementations share one interface and one contract suite
// (tests/e2e/js/store_contract.js): IdbStore (IndexedDB) and MemoryStore.
//
// Every method is async and is one all-or-nothing unit:
//   get(col, id) / all(col) / count(col)   the confirmed snapshot (records carry `rev`)
//   putRecords(col, records)                write snapshot records (fixtures, tests)
//   view(col, id) / viewAll(col)            snapshot with the outbox replayed on top
//   enqueue({col, rid, op, base, data})     record a local edit; stamps id, hlc, at
//   takeBatch(limit)                        oldest entries, marked sent (no more merging)
//   outbox() / pendingCount()               entries waiting for the server
//   applySync(response, {firstSync})        results, removals, changes, cursor, reset
//   rejected() / dismissRejected(id)        edits the server refused, with code/message
//   getMeta(key) / setMeta(key, value)      cursor, device, hlc, clock_offset, last_sync...
//   resetSnapshot()                         drop records and cursor, keep the outbox
//   exportUnsynced()                        {outbox, rejected}: the rescue file
//   close()

import { IdbStore } from "./idb.js";
import { MemoryStore } from "./memory.js";
import { userDbName } from "./global.js";

export { IdbStore, MemoryStore };
export { memoryGlobal, openGlobal, userDbName } from "./global.js";

export async function openUserStore(userId) {
  if (globalThis.indexedDB) return IdbStore.open(userDbName(userId));
  return new MemoryStore(userDbName(userId));
}
