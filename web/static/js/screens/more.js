// The user, the phone's storage (persistence, quota, rescue export), language, updates
// and signing out; and the sign-in screen.

import { t } from "../i18n.js";
import { exportUnsynced, percent } from "../durability.js";
import { SIGNIN_URL, signOut } from "../session.js";
import { checkForUpdate } from "../swclient.js";
import { $, fill, fmtBytes, setText, show, tpl } from "../ui.js";

export function more(app) {
  const node = tpl("t-more");
  const est = app.storage;
  fill(node, {
    user: app.user.name, area: app.user.area_name, version: app.version,
    persist: t(`persist_${app.persisted || "unsupported"}`),
    usage: est ? t("usage", { used: fmtBytes(est.usage), quota: fmtBytes(est.quota),
      pct: percent(est.ratio) }) : "",
  });
  $(node, "#persist-state").dataset.answer = app.persisted || "unsupported";
  $(node, "#export").addEventListener("click", () => exportUnsynced(app));
  const langError = $(node, '[data-f="lang_error"]');
  const langButton = $(node, "#switch-lang");
  langButton.addEventListener("click", async () => {
    langButton.disabled = true;
    if (!(await app.switchLanguage(langButton.dataset.lang))) {
      setText(langError, t("lang_needs_network"));
      langButton.disabled = false;
    }
  });
  const updateState = $(node, '[data-f="update_state"]');
  $(node, "#check-update").addEventListener("click", async () => {
    setText(updateState, t("update_checking"));
    const found = await checkForUpdate(await app.regPromise);
    setText(updateState, found ? "" : t("update_none"));
  });
  $(node, "#signout").addEventListener("click", async () => {
    if (!window.confirm(t("signout_confirm", { n: app.model.pendingCount }))) return;
    await app.sync("signout");
    await signOut(app);
    location.href = SIGNIN_URL;
  });
  return { node };
}

export function signinScreen(app, others) {
  const node = tpl("t-signin");
  const note = $(node, "#signin-note");
  const parts = [];
  if (app.signinProblem === "offline") parts.push(t("signin_offline"));
  else if (app.signinProblem === "failed") parts.push(t("signin_failed"));
  if (others.length) {
    const names = others.map((u) => t("other_user", { name: u.name || `#${u.id}`, n: u.pending }));
    parts.push(t("signin_note_pending", { names: names.join("、") }));
  }
  setText(note, parts.join(" "));
  show(note, parts.length > 0);
  return { node };
}
