// Runs tests/e2e/data/rules_cases.json against web/static/js/rules.js and uuid.js.
import * as rules from "/static/js/rules.js";
import { dailyReportId } from "/static/js/uuid.js";

const CALLS = {
  certificate_state: (c, a, t) => rules.certificateState(c, a, t),
  needs_special_report: (c) => rules.needsSpecialReport(c),
  required_measure: (c, s) => rules.requiredMeasure(c, s),
  mask_id_number: (s) => rules.maskIdNumber(s),
  mask_phone: (s) => rules.maskPhone(s),
  is_fever: (t) => rules.isFever(t),
  needs_fever_lead: (t, s) => rules.needsFeverLead(t, s),
  day_number: (s, t) => rules.dayNumber(s, t),
  checks_due: (s, e, st, t, done, n) => rules.checksDue(s, e, st, t, done, n),
  missed_checks: (s, e, t, done, n) => rules.missedChecks(s, e, t, done, n),
  policy_for: (kind, on, policies) => {
    const p = rules.policyFor(kind, on, policies);
    return p ? [p.kind, p.version] : null;
  },
  schedule: (policy, start) => rules.schedule(policy, start),
  coverage_state: (visits, start, end) => rules.coverageState(visits, start, end),
  daily_report_id: (grid, day) => dailyReportId(grid, day),
  local_today: (iso, tz) => rules.localDate(Date.parse(iso), tz),
  check_id_number: (text, today) => rules.checkIdNumber(text, today),
  check_phone: (text) => rules.checkPhone(text),
  check_past_date: (iso, today) => rules.checkPastDate(iso, today),
  zero_report_allowed: (report) => rules.zeroReportAllowed(report),
  risk_category_for: (origin, areas, on) => rules.riskCategoryFor(origin, areas, on),
};

export async function run(cases) {
  const failures = [];
  for (const c of cases) {
    let got;
    try {
      got = await CALLS[c.fn](...c.args);
    } catch (err) {
      got = `error: ${err}`;
    }
    if (JSON.stringify(got) !== JSON.stringify(c.expected)) {
      failures.push({ fn: c.fn, args: c.args, expected: c.expected, got });
    }
  }
  return { count: cases.length, failures };
}
