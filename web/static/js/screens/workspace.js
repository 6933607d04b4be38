// The app follows the role: the tabs of the user's own workspace only, and for roles that
// work on the web pages (township health centre, supervisors, admins) a way there instead
// of screens whose writes the server would refuse.

import { signOut, SIGNIN_URL } from "../session.js";
import { $, fill, tpl } from "../ui.js";

export function showRoleTabs(role) {
  for (const a of document.querySelectorAll("#tabs a[data-role]")) {
    a.hidden = a.dataset.role !== role;
  }
}

export function webRoleScreen(app, href) {
  const node = tpl("t-web-role");
  fill(node, { user: app.user.name });
  $(node, "#web-home").href = href;
  $(node, "#web-signout").addEventListener("click", async () => {
    await signOut(app);
    location.href = SIGNIN_URL;
  });
  return { node };
}
