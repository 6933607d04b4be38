// The sync client: one POST /api/sync pushes the outbox and pulls changes
// (docs/sync-protocol.md). Runs in a page or in the service worker: no DOM here.
//
// Steps, numbered as in the protocol:
//  1. take the oldest outbox entries (≤ 500), marked sent so they never change again;
//  2. send them with the cursor, the outbox size and the device clock; gzip a large body;
//  3. on 200, apply the response in one store transaction (results, removed, changes,
//     cursor, clock); entries leave the outbox only when their result says so;
//  4. `reset`: snapshot and cursor are gone, the outbox stays: go again with cursor null;
//     `more`, or entries still waiting: go again at once;
//  5. 426: the app is too old (update it); 401: the device must sign in again (the outbox
//     stays); anything else: try later, nothing was lost.

export const PROTOCOL = 1;
export const SCHEMA = 1;
export const MAX_MUTATIONS = 500;
export const GZIP_ABOVE = 1024;
// A first sync brings today's work first: who is due a check, which households wait.
// (policies and campaigns are small and needed to tell who is due and who is unvisited)
export const FIRST = ["policies", "campaigns", "measures", "persons", "checks", "households",
  "visits"];
const MAX_ROUNDS = 200;
const LOCK_PREFIX = "wangge-sync-u";

export class SyncError extends Error {
  // kind: offline | auth | upgrade | server | busy
  constructor(kind, message, detail = {}) {
    super(message || kind);
    this.kind = kind;
    this.detail = detail;
  }
}

function toWire(entry) {
  const m = { id: entry.id, col: entry.col, rid: entry.rid, op: entry.op, hlc: entry.hlc,
    at: entry.at, base: entry.base ?? null };
  if (entry.op === "put") m.data = entry.data;
  return m;
}

export async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function encodeBody(payload) {
  const text = JSON.stringify(payload);
  const headers = { "Content-Type": "application/json" };
  if (text.length > GZIP_ABOVE && typeof CompressionStream === "function") {
    headers["Content-Encoding"] = "gzip";
    return { body: await gzip(text), headers, rawBytes: text.length };
  }
  return { body: text, headers, rawBytes: text.length };
}

async function errorOf(resp) {
  try {
    const body = await resp.json();
    return body && body.error ? body.error : {};
  } catch {
    return {};
  }
}

// Run `fn` holding the user's sync lock, shared by every tab and the service worker.
// Returns undefined when somebody else is syncing right now.
export async function withSyncLock(userId, fn) {
  const locks = globalThis.navigator && navigator.locks;
  if (!locks) return fn();
  let ran = false;
  const value = await locks.request(`${LOCK_PREFIX}${userId}`, { ifAvailable: true },
    async (lock) => {
      if (!lock) return undefined;
      ran = true;
      return fn();
    });
  if (!ran) throw new SyncError("busy", "another sync is running");
  return value;
}

export class SyncClient {
  // options: store, appVersion, fetch (defaults to global), onProgress({round, received,
  // remaining, first}), now () => ms
  constructor({ store, appVersion, fetch: fetchFn, onProgress, now }) {
    this.store = store;
    this.appVersion = String(appVersion || "").slice(0, 32);
    this.fetch = fetchFn || ((...a) => globalThis.fetch(...a));
    this.onProgress = onProgress || (() => {});
    this.now = now || (() => Date.now());
  }

  async _post(payload, token) {
    const { body, headers } = await encodeBody(payload);
    let resp;
    try {
      resp = await this.fetch("/api/sync", {
        method: "POST",
        headers: { ...headers, Authorization: `Bearer ${token}`, Accept: "application/json" },
        body,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (err) {
      throw new SyncError("offline", String(err));
    }
    if (resp.ok) {
      try {
        return await resp.json();
      } catch (err) {
        // The body was cut off: nothing of it was applied, so nothing is lost.
        throw new SyncError("offline", `response cut off: ${err}`);
      }
    }
    const error = await errorOf(resp);
    if (resp.status === 426) throw new SyncError("upgrade", error.message, error);
    if (resp.status === 401) throw new SyncError("auth", error.message, error);
    if (resp.status === 413) throw new SyncError("too_large", error.message, error);
    if (resp.status === 409) throw new SyncError("retry", error.message, error);
    throw new SyncError("server", error.message || `HTTP ${resp.status}`, { ...error, status: resp.status });
  }

  // One full sync: push everything, pull until nothing more. Returns a summary.
  async run() {
    const device = await this.store.getMeta("device");
    if (!device || !device.token) throw new SyncError("auth", "no device token");
    const total = { rounds: 0, applied: 0, merged: 0, conflict: 0, rejected: 0, changed: 0,
      removed: 0, resets: 0, collections: new Set(), bytesUp: 0 };
    let limit = MAX_MUTATIONS;
    let retries = 0;
    let received = 0;
    const firstSync = ((await this.store.getMeta("cursor")) ?? null) === null;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const batch = await this.store.takeBatch(limit);
      const cursor = (await this.store.getMeta("cursor")) ?? null;
      const payload = {
        protocol: PROTOCOL, schema: SCHEMA, app: this.appVersion, clock: this.now(), cursor,
        pending: await this.store.pendingCount(), mutations: batch.map(toWire), pull: true,
        first: cursor === null ? FIRST : null,
      };
      let response;
      try {
        response = await this._post(payload, device.token);
      } catch (err) {
        if (err.kind === "too_large" && batch.length > 1) {
          // Some large edits: send fewer at a time (the same entries, the same ids).
          limit = Math.max(1, Math.floor(batch.length / 4));
          continue;
        }
        if (err.kind === "retry" && retries < 3) {
          retries += 1;
          continue;
        }
        throw err;
      }
      total.rounds += 1;
      const summary = await this.store.applySync(response, { firstSync: cursor === null });
      for (const k of ["applied", "merged", "conflict", "rejected", "changed", "removed"]) {
        total[k] += summary[k];
      }
      summary.collections.forEach((c) => total.collections.add(c));
      received += summary.changed;
      await this.onProgress({ round, received, remaining: response.remaining ?? null,
        first: firstSync, more: Boolean(response.more), summary });
      if (response.reset) {
        total.resets += 1;
        continue;
      }
      // Entries left that were not in this batch (more than 500, edits made meanwhile, a
      // smaller batch after a 413) go at once; an entry the server left unanswered waits.
      const sentIds = new Set(batch.map((e) => e.id));
      const left = await this.store.outbox();
      const waiting = left.length > 0 && !left.some((e) => sentIds.has(e.id));
      if (response.more || waiting) continue;
      await this.store.setMeta("last_sync", this.now());
      total.collections = [...total.collections];
      return total;
    }
    throw new SyncError("server", "sync did not settle");
  }
}
