// The grid's daily report: counts filled in from the data on this phone, and an explicit
// zero report. One report per grid per day (the same uuid5 on every phone); filing again
// corrects it (the server keeps the history).

import { t } from "../i18n.js";
import * as rules from "../rules.js";
import { $, fill, fmtTime, formValues, setFormValues, setText, tpl } from "../ui.js";
import { dailyReportId } from "../uuid.js";
import { saveDailyReport } from "../writes.js";

const COUNTS = ["households_visited", "new_returnees", "under_measure", "checks_done", "fever_found"];

function statusText(app, rec) {
  if (!rec) return t("report_none");
  const time = fmtTime(Date.parse(rec.submitted_at) || null, app.tz, false);
  const text = t(rec.is_zero ? "report_zero" : "report_done", { time });
  return rec._pending ? `${text} ${t("report_pending")}` : text;
}

// The zero-report button, and why it is off: a zero report never replaces a report with
// findings (rules.zeroReportAllowed, the server's rule too).
function zeroState(rec) {
  if (rec && !rules.zeroReportAllowed(rec)) return t("zero_refused");
  return "";
}

export function report(app) {
  const node = tpl("t-report");
  const day = app.model.today();
  fill(node, { date: day });
  const form = $(node, "form");
  const status = $(node, '[data-f="status"]');
  const error = $(form, '[data-f="error"]');
  const zeroButton = $(form, "#zero-report");
  const zeroWhy = $(form, '[data-f="zero_why"]');
  const submitButton = $(form, 'button[type="submit"]');
  setFormValues(form, app.model.reportCounts(day));
  let reportId = null;
  let shownKey = null;

  // The status and the counts beside it always tell the same story: a filed report shows
  // its own counts (a zero report shows zeros), not the phone's fresh ones.
  const showStatus = () => {
    const rec = reportId ? app.model.get("daily_reports", reportId) : null;
    setText(status, statusText(app, rec));
    status.dataset.state = rec ? (rec.is_zero ? "zero" : "reported") : "missing";
    // Only a report that changed (filed here, or another phone's brought by a sync)
    // replaces the counts on screen: a refresh never overwrites what is being typed.
    const key = rec ? JSON.stringify([rec.is_zero, ...COUNTS.map((k) => rec[k])]) : null;
    if (rec && key !== shownKey) setFormValues(form, rec);
    shownKey = key;
    const why = zeroState(rec);
    zeroButton.disabled = Boolean(why);
    setText(zeroWhy, why);
    setText(submitButton, t(rec ? "report_correct" : "report_submit"));
    return rec;
  };
  dailyReportId(app.user.area_id, day).then((id) => {
    reportId = id;
    showStatus();
  });

  const submit = async (zero) => {
    const v = formValues(form);
    const values = Object.fromEntries(COUNTS.map((k) => [k, Math.max(0, Number(v[k]) || 0)]));
    const rec = reportId ? app.model.get("daily_reports", reportId) : null;
    if (zero && zeroState(rec)) {
      setText(error, zeroState(rec));
      return;
    }
    try {
      await saveDailyReport(app, values, { zero, notes: v.notes || "" });
      app.toast(t(zero ? "zero_saved" : "report_saved"));
      setText(error, "");
      showStatus();
    } catch (err) {
      app.log("report", err);
      setText(error, t("error", { message: err.message || err }));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(false);
  });
  zeroButton.addEventListener("click", () => {
    const refused = zeroState(reportId ? app.model.get("daily_reports", reportId) : null);
    if (refused) {
      setText(error, refused);
      return;
    }
    const now = app.model.reportCounts(day);
    // A zero report says "nothing new": check the phone's data agrees before filing it.
    const news = now.new_returnees + now.fever_found;
    if (news > 0 && !window.confirm(t("confirm_zero"))) return;
    submit(true);
  });
  return { node, refresh: showStatus };
}
