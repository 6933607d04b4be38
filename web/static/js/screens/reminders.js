// A supervisor's reminders on the grid worker's home screen: one card each, with the
// message and "Got it", until the worker acknowledges it (the acknowledgement syncs later).

import { label } from "../i18n.js";
import { $, fill, fmtTime, show, tpl } from "../ui.js";
import { acknowledgeReminder } from "../writes.js";

export function drawReminders(app, container, redraw) {
  const unread = app.model.unreadReminders();
  container.replaceChildren();
  for (const r of unread) {
    const card = tpl("t-reminder");
    fill(card, {
      kind: label("reminder_kind", r.kind),
      when: fmtTime(Date.parse(r.sent_at), app.tz),
      message: r.message,
    });
    const node = $(card, ".reminder");
    node.dataset.id = r.id;
    const button = $(card, '[data-action="ack"]');
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await acknowledgeReminder(app, r.id);
      } finally {
        redraw();
      }
    });
    container.append(card);
  }
  show(container, unread.length > 0);
}
