// The phone-wide keystore: who is signed in now, and which users left edits on this
// phone. Each user's data lives in that user's own database (userDbName), never here.

import { openDatabase, promised } from "./idb.js";

export const GLOBAL_DB = "wangge";

export function userDbName(userId) {
  return `wangge-u${userId}`;
}

class Keystore {
  constructor(get, set) {
    this._get = get;
    this._set = set;
  }

  async currentUserId() {
    return (await this._get("current")) ?? null;
  }

  async setCurrentUserId(id) {
    await this._set("current", id ?? null);
  }

  // users: {id: {id, name, area_name, pending, seen}}
  async users() {
    return Object.values((await this._get("users")) || {});
  }

  async noteUser(user) {
    const all = (await this._get("users")) || {};
    all[user.id] = { ...(all[user.id] || {}), ...user, seen: Date.now() };
    await this._set("users", all);
  }

  // Other users of this phone whose edits still wait for them to sign in again.
  async othersWithPending(currentId) {
    return (await this.users()).filter((u) => u.id !== currentId && u.pending > 0);
  }

  async get(key) { return this._get(key); }
  async set(key, value) { return this._set(key, value); }
}

export async function openGlobal() {
  const db = await openDatabase(GLOBAL_DB, 1, (d) => {
    if (!d.objectStoreNames.contains("kv")) d.createObjectStore("kv");
  });
  const run = (mode, fn) => {
    const t = db.transaction("kv", mode);
    return promised(fn(t.objectStore("kv")));
  };
  return new Keystore(
    (k) => run("readonly", (s) => s.get(k)),
    (k, v) => run("readwrite", (s) => s.put(v, k)),
  );
}

export function memoryGlobal() {
  const map = new Map();
  return new Keystore(async (k) => structuredClone(map.get(k)), async (k, v) => {
    map.set(k, structuredClone(v));
  });
}
