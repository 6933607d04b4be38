// The sync bar, always on screen: state, edits waiting, last successful sync, and a link to
// whatever needs the user (refused edits, conflicts waiting for review).

import { t } from "./i18n.js";
import { fmtTime, setText, show } from "./ui.js";

export function shownState(state, pending) {
  if (state === "idle" && pending > 0) return "waiting";
  return state;
}

export class SyncBar {
  constructor(doc = document) {
    this.dot = doc.getElementById("sync-dot");
    this.state = doc.getElementById("sync-state");
    this.pending = doc.getElementById("sync-pending");
    this.last = doc.getElementById("sync-last");
    this.attention = doc.getElementById("sync-attention");
    this.button = doc.getElementById("sync-now");
    this.progressBox = doc.getElementById("progress");
    this.progressBar = doc.getElementById("progress-bar");
    this.progressText = doc.getElementById("progress-text");
  }

  // What the bar says comes from what the last request did (`state`) and what is waiting:
  // "synced" only after a sync that answered, with nothing left in the outbox.
  render({ state, pending, lastSync, attention, tz }) {
    const shown = shownState(state, pending);
    this.dot.dataset.state = shown;
    document.body.dataset.sync = shown;
    setText(this.state, t(`state_${shown}`));
    setText(this.pending, pending ? t("pending_n", { n: pending }) : t("pending_none"));
    this.pending.dataset.n = String(pending);
    setText(this.last, lastSync ? t("last_sync", { time: fmtTime(lastSync, tz) }) : t("never_synced"));
    setText(this.attention, attention ? t("attention_n", { n: attention }) : "");
    show(this.attention, attention > 0);
    this.button.disabled = state === "syncing";
  }

  // A first sync shows how far it got; later syncs are quick and show nothing.
  progress({ received, remaining }) {
    show(this.progressBox, true);
    if (remaining != null) {
      this.progressBar.max = received + remaining;
      this.progressBar.value = received;
      setText(this.progressText, t("first_sync_remaining", { received, remaining }));
    } else {
      this.progressBar.removeAttribute("value");
      setText(this.progressText, t("first_sync", { received }));
    }
  }

  hideProgress() {
    show(this.progressBox, false);
  }
}
