// Keeping the outbox alive on a cheap phone: ask for persistent storage, watch the quota,
// and offer a rescue file of everything not yet on the server.

import { download } from "./ui.js";

export const QUOTA_WARNING = 0.8;

// The browser's answer: "granted", "denied" or "unsupported". Asked once per user database,
// re-read every start (the user may have cleared site settings since).
export async function ensurePersisted(store) {
  const storage = navigator.storage;
  if (!storage || !storage.persist) return "unsupported";
  let granted = await storage.persisted();
  if (!granted && !(await store.getMeta("persist_asked"))) {
    granted = await storage.persist();
    await store.setMeta("persist_asked", Date.now());
  }
  const answer = granted ? "granted" : "denied";
  await store.setMeta("persisted", answer);
  return answer;
}

export async function estimate() {
  const storage = navigator.storage;
  if (!storage || !storage.estimate) return null;
  const { usage = 0, quota = 0 } = await storage.estimate();
  return { usage, quota, ratio: quota ? usage / quota : 0 };
}

export function percent(ratio) {
  return `${Math.round(ratio * 100)}%`;
}

export async function exportUnsynced(app) {
  const { outbox, rejected } = await app.store.exportUnsynced();
  const body = {
    kind: "wangge-unsynced",
    exported_at: new Date().toISOString(),
    app: app.version,
    user: { id: app.user.id, name: app.user.name, area_id: app.user.area_id,
      area_name: app.user.area_name },
    device_id: (await app.store.getMeta("device") || {}).device_id || null,
    outbox: outbox.map(({ sent: _sent, ...e }) => e),
    rejected,
  };
  const day = new Date().toISOString().slice(0, 10);
  const name = `wangge-${app.t("export_name")}-u${app.user.id}-${day}.json`;
  download(name, JSON.stringify(body, null, 1));
  return body;
}
