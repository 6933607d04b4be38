// The field app's entry point: open the signed-in user's store, show the screens from it,
// and sync on open, when the network returns, on a timer, after edits and through
// Background Sync. Works from a cold start with no network at all.

import { initI18n, t } from "./i18n.js";
import { openGlobal, openUserStore } from "./store/index.js";
import { Model } from "./model.js";
import { SyncBar } from "./syncbar.js";
import { SyncClient, withSyncLock } from "./sync.js";
import { applyUpdate, askWorker, checkForUpdate, registerWorker, requestBackgroundSync }
  from "./swclient.js";
import { completeSignIn, webHomeOf } from "./session.js";
import { showRoleTabs, webRoleScreen } from "./screens/workspace.js";
import { ensurePersisted, estimate, percent, QUOTA_WARNING } from "./durability.js";
import { renderRoute } from "./router.js";
import { signinScreen } from "./screens/more.js";
import { setText, show } from "./ui.js";

const SYNC_EVERY_MS = 5 * 60 * 1000;
const AFTER_WRITE_MS = 1500;
// After a failed sync: try again after 1 s, 2 s, 4 s ... at most 30 s apart, so signal
// that comes back is noticed within seconds even when no `online` event fires.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;
const RETRY_KINDS = new Set(["offline", "server", "error", "retry", "too_large"]);
const CHANNEL = "wangge-sync";

class App {
  constructor() {
    const root = document.documentElement;
    // The server's WANGGE_TIMEZONE, written into the shell; the phone's own zone only if a
    // shell without it was ever cached.
    this.tz = root.dataset.tz || Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.version = root.dataset.build || "";
    this.t = t;
    // Nothing is claimed before a request has answered: "checking" until the first sync.
    this.state = "checking";
    this.retries = 0;
    this.errors = [];
    this.ready = false;
    this.syncCount = 0;
    this.updateRequested = false;
    this.current = null;
    this.progressLog = [];
  }

  log(message, err) {
    // No console noise in the field; the last errors are kept for the "More" screen/tests.
    this.errors.push(`${message}: ${err && err.message ? err.message : err}`);
    this.errors = this.errors.slice(-20);
  }

  async start() {
    initI18n();
    this.bar = new SyncBar();
    this.regPromise = registerWorker(this);
    this.keystore = await openGlobal();
    const params = new URLSearchParams(location.search);
    if (params.has("signin")) {
      const result = await completeSignIn(this.keystore);
      this.signinProblem = result.reason;
      history.replaceState(null, "", `/app${location.hash}`);
    }
    const userId = await this.keystore.currentUserId();
    this.store = userId == null ? null : await openUserStore(userId);
    const device = this.store ? await this.store.getMeta("device") : null;
    if (!device || !device.user || !device.token) {
      await this.showSignin();
      return;
    }
    this.user = device.user;
    const webHome = webHomeOf(this.user.role);
    if (webHome) {
      this.ready = true;
      document.documentElement.dataset.ready = "web";
      document.getElementById("view").replaceChildren(webRoleScreen(this, webHome).node);
      if (navigator.onLine) location.replace(webHome);
      return;
    }
    showRoleTabs(this.user.role);
    this.model = new Model(this.store, this.user, this.tz);
    await this.model.load();
    this.lastSync = await this.store.getMeta("last_sync");
    show(document.getElementById("tabs"), true);
    window.addEventListener("hashchange", () => renderRoute(this));
    renderRoute(this);
    this.renderBar();
    await this.renderOthers();
    this.ready = true;
    document.documentElement.dataset.ready = "1";
    this.wire();
    this.followLanguage();
    this.persisted = await ensurePersisted(this.store).catch(() => "unsupported");
    this.checkStorage();
    this.sync("open");
  }

  async showSignin() {
    this.ready = true;
    document.documentElement.dataset.ready = "signin";
    const others = await this.keystore.othersWithPending(null);
    document.getElementById("view").replaceChildren(signinScreen(this, others).node);
  }

  wire() {
    document.getElementById("sync-now").addEventListener("click", () => this.sync("manual"));
    document.getElementById("update-now").addEventListener("click", async () => {
      applyUpdate(this, await this.regPromise);
    });
    window.addEventListener("online", () => {
      this.retries = 0;
      this.sync("online");
    });
    // `offline` is only a hint to look: the state changes when a request actually fails.
    window.addEventListener("offline", () => this.sync("offline-hint"));
    setInterval(() => {
      if (document.visibilityState === "visible") this.sync("timer");
    }, SYNC_EVERY_MS);
    if (typeof BroadcastChannel === "function") {
      // The worker synced while no page answered: show what it brought.
      new BroadcastChannel(CHANNEL).onmessage = (e) => {
        if (!(e.data && e.data.type === "synced" && e.data.user === this.user.id)) return;
        // Its request answered: the network is there, whatever this page last saw.
        if (!this._running) {
          this.state = "idle";
          this.retries = 0;
          clearTimeout(this._retryTimer);
        }
        this.afterSync();
      };
    }
  }

  renderBar() {
    if (!this.model) return;
    this.bar.render({ state: this.state, pending: this.model.pendingCount, lastSync: this.lastSync,
      first: this.lastSync == null,
      attention: this.model.attentionCount(), tz: this.tz });
    const due = this.model.dueToday().reduce((n, r) => n + r.slots.filter((s) => !s.done).length, 0);
    setText(document.getElementById("tab-checks"), due ? String(due) : "");
  }

  setState(state) {
    this.state = state;
    this.renderBar();
  }

  refresh() {
    if (this.current && this.current.refresh) this.current.refresh();
  }

  toast(text) {
    const el = document.getElementById("toast");
    setText(el, text);
    show(el, true);
    clearTimeout(this._toastTimer);
    this._toastTimer = setTimeout(() => show(el, false), 4000);
  }

  showUpdate(visible) {
    show(document.getElementById("banner-update"), visible);
  }

  navigate(hash) {
    if (location.hash === hash) renderRoute(this);
    else location.hash = hash;
  }

  // --- syncing ----------------------------------------------------------------------------

  // One sync at a time in this page (callers share the running one); the lock in sync.js
  // keeps other tabs and the service worker out.
  sync(reason = "manual") {
    if (!this._running) {
      this._running = this._sync(reason).finally(() => { this._running = null; });
    }
    return this._running;
  }

  async _sync(reason) {
    if (!this.model || this.state === "upgrade") return { ok: false, kind: this.state };
    const before = this.state;
    clearTimeout(this._retryTimer);
    // A quiet retry while offline keeps saying "offline" until a request gets through:
    // the bar does not flicker every few seconds.
    if (!(before === "offline" && (reason === "retry" || reason === "offline-hint"))) {
      this.setState("syncing");
    }
    // A first sync says so at once, before the first page of the ledger arrives.
    if (this.lastSync == null) this.bar.progress({ received: 0, remaining: null });
    const client = new SyncClient({
      store: this.store, appVersion: this.version, onProgress: (p) => this.onProgress(p),
    });
    try {
      const total = await withSyncLock(this.user.id, () => client.run());
      this.state = "idle";
      this.retries = 0;
      show(document.getElementById("banner-auth"), false);
      await this.afterSync();
      this.syncCount += 1;
      return { ok: true, reason, rounds: total.rounds, rejected: total.rejected };
    } catch (err) {
      const kind = err.kind || "server";
      if (kind === "busy") {
        // Another tab or the service worker is syncing; it will tell us when done.
        this.setState(before);
        return { ok: false, kind };
      }
      if (!err.kind) this.log("sync", err);
      this.state = { offline: "offline", auth: "auth", upgrade: "upgrade" }[kind] || "error";
      if (kind === "auth") show(document.getElementById("banner-auth"), true);
      if (kind === "upgrade") this.tooOld();
      if (RETRY_KINDS.has(kind)) this.retryLater();
      await this.afterSync();
      return { ok: false, kind, message: String(err.message || err) };
    } finally {
      this.bar.hideProgress();
    }
  }

  retryLater() {
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.retries);
    this.retries += 1;
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => this.sync("retry"), delay);
  }

  async onProgress(p) {
    this.progressLog.push({ received: p.received, remaining: p.remaining,
      collections: p.summary.collections });
    if (p.first && (p.more || p.remaining)) {
      this.bar.progress(p);
      // Each page of a first sync is shown at once: today's work comes first.
      await this.model.load();
      this.refresh();
      this.renderBar();
    }
  }

  async afterSync() {
    await this.model.load();
    this.lastSync = await this.store.getMeta("last_sync");
    this.refresh();
    this.renderBar();
    await this.keystore.noteUser({ id: this.user.id, name: this.user.name,
      area_name: this.user.area_name, pending: this.model.pendingCount });
    this.checkStorage();
  }

  afterWrite() {
    this.renderBar();
    this.keystore.noteUser({ id: this.user.id, pending: this.model.pendingCount });
    // Background Sync wakes the worker when the network is back, even with the app
    // closed; the page still tries itself after a short delay (which batches a burst of
    // edits into one request), so the bar learns at once whether the edit got through.
    this.regPromise.then((reg) => requestBackgroundSync(reg)).catch(() => false);
    clearTimeout(this._writeTimer);
    this._writeTimer = setTimeout(() => this.sync("write"), AFTER_WRITE_MS);
  }

  async tooOld() {
    show(document.getElementById("banner-upgrade"), true);
    this.updateRequested = true;
    const reg = await this.regPromise;
    if (reg && reg.waiting) applyUpdate(this, reg);
    else await checkForUpdate(reg);
  }

  // --- phone and language -----------------------------------------------------------------

  async checkStorage() {
    const est = await estimate().catch(() => null);
    this.storage = est;
    const banner = document.getElementById("banner-storage");
    const full = est && est.ratio > QUOTA_WARNING;
    setText(banner, full ? t("storage_warning", { pct: percent(est.ratio) }) : "");
    show(banner, Boolean(full));
    return est;
  }

  async renderOthers() {
    const others = await this.keystore.othersWithPending(this.user.id);
    const banner = document.getElementById("banner-others");
    const names = others.map((u) => t("other_user", { name: u.name || `#${u.id}`, n: u.pending }));
    setText(banner, names.length ? t("others_pending", { names: names.join("、") }) : "");
    show(banner, names.length > 0);
  }

  // The language chosen on a web page (/lang/..., the same cookie) applies here too: the
  // cached shell is in the old language, so fetch the shell again and reopen. Offline the
  // shell stays as it is and the next open tries again.
  async followLanguage() {
    const m = /(?:^|;\s*)lang=([^;]*)/.exec(document.cookie);
    const wanted = m ? (m[1].startsWith("en") ? "en" : "zh-CN") : null;
    const shown = document.documentElement.lang === "en" ? "en" : "zh-CN";
    if (!wanted || wanted === shown || this._followedLanguage) return false;
    this._followedLanguage = true;
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      const answer = await askWorker({ type: "recache-shell" });
      if (!answer || !answer.ok) return false;
    }
    location.reload();
    return true;
  }

  async switchLanguage(code) {
    const previous = document.documentElement.lang === "en" ? "en" : "zh_CN";
    const set = (c) => { document.cookie = `lang=${c}; path=/; max-age=31536000; samesite=lax`; };
    set(code);
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      const answer = await askWorker({ type: "recache-shell" });
      if (!answer || !answer.ok) {
        set(previous);
        return false;
      }
    }
    location.reload();
    return true;
  }
}

const app = new App();
window.wangge = app;
app.start().catch((err) => {
  app.log("start", err);
  document.documentElement.dataset.ready = "error";
  setText(document.getElementById("view"), t("error", { message: err.message || err }));
});
