// The page's side of the service worker: registration, the "new version" flow, Background
// Sync, and messages both ways.

export const SYNC_TAG = "wangge-sync";

export async function registerWorker(app) {
  if (!("serviceWorker" in navigator)) return null;
  let reg;
  try {
    reg = await navigator.serviceWorker.register("/sw.js",
      { type: "module", scope: "/", updateViaCache: "none" });
  } catch (err) {
    app.log("service worker registration failed", err);
    return null;
  }
  const waiting = () => {
    if (!navigator.serviceWorker.controller) return;
    if (app.updateRequested) applyUpdate(app, reg);
    else app.showUpdate(true);
  };
  if (reg.waiting) waiting();
  reg.addEventListener("updatefound", () => {
    const worker = reg.installing;
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed") waiting();
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Only a version the user (or a "too old" answer) asked for reloads the page; the very
    // first worker taking control changes nothing on screen.
    if (app.updateRequested && !reloading) {
      reloading = true;
      location.reload();
    }
  });
  navigator.serviceWorker.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.type === "sync-request") {
      const port = event.ports && event.ports[0];
      app.sync("background").then((result) => port && port.postMessage(result));
    }
  });
  navigator.serviceWorker.startMessages();
  return reg;
}

export function applyUpdate(app, reg) {
  app.updateRequested = true;
  if (reg && reg.waiting) reg.waiting.postMessage({ type: "skip-waiting" });
}

// Ask the server for a newer worker; true when one is installing or waiting.
export async function checkForUpdate(reg) {
  if (!reg) return false;
  try {
    await reg.update();
  } catch {
    return false;
  }
  return Boolean(reg.installing || reg.waiting);
}

export async function requestBackgroundSync(reg) {
  if (!reg || !reg.sync) return false;
  try {
    await reg.sync.register(SYNC_TAG);
    return true;
  } catch {
    return false;
  }
}

// A question for the active worker, answered through a MessageChannel.
export function askWorker(message, timeoutMs = 20000) {
  const controller = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!controller) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    channel.port1.onmessage = (e) => {
      clearTimeout(timer);
      resolve(e.data);
    };
    controller.postMessage(message, [channel.port2]);
  });
}
