// Hash routes: every screen works from a cold start offline, so a screen is a function of
// the in-memory model and the route's parameters, nothing fetched.

import { households, household } from "./screens/households.js";
import { householdForm, visitForm } from "./screens/forms.js";
import { personForm } from "./screens/person.js";
import { follow } from "./screens/follow.js";
import { checks, checkForm } from "./screens/checks.js";
import { report } from "./screens/report.js";
import { attention } from "./screens/attention.js";
import { more } from "./screens/more.js";
import { feverForm, feverList } from "./screens/fever.js";
import { scan } from "./screens/scan.js";
import { workspaceOf } from "./session.js";

const ROUTES = [
  [/^#?\/?(?:households)?$/, "households", households],
  [/^#\/h\/new$/, "households", (app) => householdForm(app, null)],
  [/^#\/scan$/, "households", scan],
  [/^#\/h\/([^/]+)$/, "households", household],
  [/^#\/h\/([^/]+)\/edit$/, "households", householdForm],
  [/^#\/h\/([^/]+)\/visit$/, "households", visitForm],
  [/^#\/h\/([^/]+)\/p\/new$/, "households", (app, hid) => personForm(app, null, hid)],
  [/^#\/p\/([^/]+)$/, "households", (app, pid) => personForm(app, pid, null)],
  [/^#\/p\/([^/]+)\/follow$/, "households", follow],
  [/^#\/checks$/, "checks", checks],
  [/^#\/check\/([^/]+)\/(morning|evening)$/, "checks", checkForm],
  [/^#\/report$/, "report", report],
  [/^#\/attention$/, "more", attention],
  [/^#\/more$/, "more", more],
  [/^#\/fever$/, "fever", feverList],
  [/^#\/fever\/new$/, "fever-new", feverForm],
];
// Screens whose writes only one role may make; the others are everyone's.
const TAB_ROLE = { households: "grid_worker", checks: "grid_worker", report: "grid_worker",
  fever: "sentinel", "fever-new": "sentinel" };

export function resolve(hash) {
  for (const [pattern, tab, screen] of ROUTES) {
    const m = pattern.exec(hash || "");
    if (m) return { tab, screen, params: m.slice(1).map(decodeURIComponent) };
  }
  return { tab: "households", screen: households, params: [] };
}

export function renderRoute(app) {
  const role = app.user && app.user.role;
  let { tab, screen, params } = resolve(location.hash);
  if (TAB_ROLE[tab] && TAB_ROLE[tab] !== role) {
    // Not this role's screen (an old link, a bookmark): its own workspace instead.
    ({ tab, screen, params } = resolve(workspaceOf(role)));
  }
  const view = document.getElementById("view");
  // the screen being left lets go of what it holds (the scanner's camera)
  if (app.current && app.current.leave) app.current.leave();
  const current = screen(app, ...params);
  view.replaceChildren(current.node);
  app.current = current;
  for (const a of document.querySelectorAll("#tabs a")) {
    if (a.dataset.tab === tab) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  window.scrollTo(0, 0);
  if (current.focus) current.focus();
}
