// What waits for the user: edits the server refused (with the reason) and conflicts their
// edits caused that wait for a supervisor.

import { label, t } from "../i18n.js";
import { $, fill, fmtTime, show, tpl } from "../ui.js";

function shown(value) {
  if (value == null) return "—";
  if (typeof value === "string") return label("measure", value);
  return JSON.stringify(value);
}

export function attention(app) {
  const node = document.createElement("div");
  const draw = () => {
    const frag = tpl("t-attention");
    const rejected = $(frag, "#rejected-list");
    for (const r of app.model.rejected) {
      const row = tpl("t-rejected-row");
      const known = label("reject", r.code);
      fill(row, {
        what: label("collection", r.col),
        label: app.model.labelOf(r.col, r.rid, r.data),
        reason: t("rejected_reason", { reason: known !== r.code ? known : r.message || r.code }),
        detail: r.message && known !== r.code ? r.message : "",
        when: fmtTime(r.at, app.tz),
      });
      $(row, "li").dataset.code = r.code;
      $(row, '[data-act="dismiss"]').addEventListener("click", async () => {
        await app.store.dismissRejected(r.id);
        await app.model.reloadOutbox();
        app.renderBar();
        draw();
      });
      rejected.append(row);
    }
    show($(frag, "#rejected-empty"), app.model.rejected.length === 0);
    const conflicts = $(frag, "#conflict-list");
    const waiting = app.model.conflictsWaiting();
    for (const c of waiting) {
      const row = tpl("t-conflict-row");
      fill(row, {
        what: `${label("collection", c.collection)} · ${label("field", c.field)}`,
        label: app.model.labelOf(c.collection, c.record_id),
        proposed: shown(c.proposed_value), kept: shown(c.kept_value),
        status: label("conflict_status", c.status),
      });
      $(row, "li").dataset.field = c.field;
      conflicts.append(row);
    }
    show($(frag, "#conflicts-empty"), waiting.length === 0);
    node.replaceChildren(frag);
  };
  draw();
  return { node, refresh: draw };
}
