// The field app's service worker (bundled with the modules it imports by web/build.mjs,
// served at /sw.js with VERSION and PRECACHE prepended by server/web/pwa.py; registered
// as a module worker with scope /).
//
// One strategy per kind of request:
//   app shell (/app, /offline, the manifest, every precached /static file): cache first
//   /api/*: network only, never cached (edits travel in the outbox, through /api/sync)
//   other pages (navigations): network first; offline, the cached /offline page
//   everything else: the network, untouched
//
// Updates: a new worker installs (precache complete, every cache operation awaited inside
// waitUntil) and then waits; the page shows "new version" and sends "skip-waiting". The
// outbox lives in IndexedDB, not in any cache, so a new version never touches it.

import { SyncClient, withSyncLock } from "/static/js/sync.js";
import { openGlobal, openUserStore } from "/static/js/store/index.js";

/* global VERSION, PRECACHE */
const CACHE_PREFIX = "wangge-";
const CACHE = `${CACHE_PREFIX}${VERSION}`;
const SHELL = "/app";
const OFFLINE = "/offline";
const PRECACHED = new Set(PRECACHE);
const SYNC_TAG = "wangge-sync";
const CHANNEL = "wangge-sync";
const PAGE_ANSWER_MS = 60000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // "no-cache": revalidated with the server (ETag), never a stale HTTP-cache copy, and
    // a file the page has just loaded comes back as a 304 instead of a second download.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "no-cache" })));
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE)
      .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

async function fromCache(path) {
  const cache = await caches.open(CACHE);
  return cache.match(path);
}

async function cacheFirst(request, key) {
  const hit = await fromCache(key);
  return hit || fetch(request);
}

async function shell(request) {
  const hit = await fromCache(SHELL);
  if (hit) return hit;
  try {
    return await fetch(request);
  } catch {
    return (await fromCache(OFFLINE)) || Response.error();
  }
}

async function networkFirstPage(request) {
  try {
    return await fetch(request);
  } catch {
    return (await fromCache(OFFLINE)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(url.pathname === SHELL ? shell(request) : networkFirstPage(request));
    return;
  }
  // the bundle's files are precached under their versioned URLs (`?v=<hash>`), the rest
  // under their paths
  const key = url.pathname + url.search;
  if (PRECACHED.has(key)) event.respondWith(cacheFirst(request, key));
  else if (PRECACHED.has(url.pathname)) event.respondWith(cacheFirst(request, url.pathname));
});

// The shell is rendered in the language of the `lang` cookie: after a switch the page
// asks for a fresh copy of the shell pages.
async function recacheShell() {
  const cache = await caches.open(CACHE);
  for (const path of [SHELL, OFFLINE]) {
    const resp = await fetch(path, { cache: "reload", credentials: "same-origin" });
    if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status}`);
    await cache.put(path, resp);
  }
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (value) => {
    if (event.ports && event.ports[0]) event.ports[0].postMessage(value);
  };
  if (data.type === "skip-waiting") {
    event.waitUntil(self.skipWaiting());
  } else if (data.type === "version") {
    reply({ version: VERSION });
  } else if (data.type === "recache-shell") {
    event.waitUntil(recacheShell().then(() => reply({ ok: true }),
      (err) => reply({ ok: false, error: String(err) })));
  }
});

function ask(client, message, timeoutMs) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    channel.port1.onmessage = (e) => {
      clearTimeout(timer);
      resolve(e.data);
    };
    client.postMessage(message, [channel.port2]);
  });
}

// No page open: the worker syncs by itself, with the same modules and the same lock.
async function syncHere() {
  const keystore = await openGlobal();
  const userId = await keystore.currentUserId();
  if (userId == null) return;
  const store = await openUserStore(userId);
  try {
    const client = new SyncClient({ store, appVersion: VERSION });
    try {
      await withSyncLock(userId, () => client.run());
    } catch (err) {
      if (err.kind === "busy") return;
      throw err;
    }
    await keystore.noteUser({ id: userId, pending: await store.pendingCount() });
    new BroadcastChannel(CHANNEL).postMessage({ type: "synced", user: userId });
  } finally {
    store.close();
  }
}

async function backgroundSync() {
  const windows = await self.clients.matchAll({ type: "window" });
  windows.sort((a, b) => Number(b.focused) - Number(a.focused));
  if (windows.length) {
    // A page is open: it syncs and refreshes its screens; its answer decides whether the
    // browser should try again later.
    const answer = await ask(windows[0], { type: "sync-request" }, PAGE_ANSWER_MS);
    if (answer) {
      if (answer.ok || ["busy", "auth", "upgrade"].includes(answer.kind)) return;
      throw new Error(`sync failed (${answer.kind}): the browser retries later`);
    }
  }
  await syncHere();
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(backgroundSync());
});
