// Who uses this phone. Signing in (the server's /login page, then back to /app?signin=1)
// gets this phone a device token for the signed-in user; each user's edits live in that
// user's own database and are never deleted by a sign-out or by someone else signing in.

import { t } from "./i18n.js";
import { openUserStore } from "./store/index.js";

export const SIGNIN_URL = "/login?next=/app%3Fsignin%3D1";

// How this phone appears in the user's device list (/devices).
function deviceName() {
  const platform = (navigator.userAgentData && navigator.userAgentData.platform) ||
    navigator.platform || "";
  return t("device_name", { platform }).trim().slice(0, 80);
}

// After /login: trade the page session for a device token. Returns the user or null.
export async function completeSignIn(keystore) {
  let resp;
  try {
    resp = await fetch("/api/devices", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ name: deviceName() }),
    });
  } catch {
    return { user: null, reason: "offline" };
  }
  if (!resp.ok) return { user: null, reason: resp.status === 401 ? "signed_out" : "failed" };
  const issued = await resp.json();
  const user = issued.user;
  const store = await openUserStore(user.id);
  try {
    const previous = await store.getMeta("device");
    await store.setMeta("device", { device_id: issued.device_id, token: issued.token, user });
    // Another area or role: the server answers the next sync with a reset; nothing to do
    // here, and the outbox stays whatever happens.
    if (previous && previous.user && previous.user.scope_version !== user.scope_version) {
      await store.setMeta("scope_changed", true);
    }
    await keystore.noteUser({ id: user.id, name: user.name, area_name: user.area_name,
      pending: await store.pendingCount() });
  } finally {
    store.close();
  }
  await keystore.setCurrentUserId(user.id);
  return { user, reason: null };
}

// The page session's sign-out form carries a CSRF token bound to the session cookie; read
// it from the home page's form and post it. Returns true when the server ended the session.
async function endPageSession() {
  try {
    const page = await fetch("/", { credentials: "same-origin" });
    const doc = new DOMParser().parseFromString(await page.text(), "text/html");
    const field = doc.querySelector('form[action="/logout"] input[name="csrf_token"]');
    if (!field) return false;
    const body = new URLSearchParams({ csrf_token: field.value });
    const resp = await fetch("/logout", { method: "POST", body, credentials: "same-origin",
      redirect: "manual" });
    return resp.type === "opaqueredirect" || resp.ok;
  } catch {
    return false;
  }
}

// Ask the server to revoke this phone's token, so a copy of it is useless too. Best
// effort: offline, the token is still forgotten here, and the user can revoke it at
// /devices (or it expires unused).
async function revokeToken(token) {
  try {
    await fetch("/api/auth/sign-out", {
      method: "POST",
      credentials: "omit",
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    });
  } catch {
    // offline: nothing more to do
  }
}

// Sign out: the token goes (revoked on the server when it can be reached), and so does the
// copy of the grid's records (personal data the next user of the phone has no business
// with; it comes back with the next sign-in). The user's unsynced and refused edits stay,
// bound to their author.
export async function signOut(app) {
  const { store, keystore, user } = app;
  const device = await store.getMeta("device");
  if (device) await store.setMeta("device", { ...device, token: null });
  if (device && device.token) await revokeToken(device.token);
  await store.resetSnapshot();
  await keystore.noteUser({ id: user.id, name: user.name, area_name: user.area_name,
    pending: await store.pendingCount() });
  await keystore.setCurrentUserId(null);
  await endPageSession();
}
