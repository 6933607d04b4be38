// My grid's households (search, filters, paged so 600+ rows stay light) and one household
// with its members and visits.

import { label, t } from "../i18n.js";
import * as rules from "../rules.js";
import { $, $$, fill, fmtTime, show, tpl } from "../ui.js";
import { drawReminders } from "./reminders.js";

const PAGE = 40;
// Survives leaving the list for a household and coming back.
const listState = { query: "", filters: new Set(), shown: PAGE };

function householdRow(app, h) {
  const frag = tpl("t-household-row");
  const f = app.model.householdFlags(h);
  fill(frag, { head_name: h.head_name, doorplate: h.doorplate, phone: rules.maskPhone(h.phone) });
  const a = $(frag, "a");
  a.href = `#/h/${encodeURIComponent(h.id)}`;
  a.dataset.id = h.id;
  const badge = (name, text, visible = true) => {
    const el = $(frag, `[data-b="${name}"]`);
    if (text != null) el.textContent = text;
    show(el, visible);
    return el;
  };
  badge("visit", label("visit_state", f.visit)).classList.add(f.visit === "visited" ? "ok" : "x");
  badge("returnees", t("returnees_n", { n: f.returnees }), f.returnees > 0);
  badge("measure", t("measure_n", { n: f.underMeasure }), f.underMeasure > 0);
  badge("due", null, f.due);
  badge("pending", null, f.pending);
  return frag;
}

export function households(app) {
  const node = tpl("t-households");
  const search = $(node, "#hh-search");
  const list = $(node, "#hh-list");
  const count = $(node, "#hh-count");
  const moreButton = $(node, "#hh-more");
  let rows = [];
  let observer = null;

  const appendPage = () => {
    const start = list.childElementCount;
    const end = Math.min(rows.length, listState.shown);
    const frag = document.createDocumentFragment();
    for (let i = start; i < end; i++) frag.append(householdRow(app, rows[i]));
    list.append(frag);
    show(moreButton, end < rows.length);
  };

  const reminders = $(node, "#reminders");
  const draw = () => {
    drawReminders(app, reminders, draw);
    rows = app.model.households({ query: listState.query, filters: listState.filters });
    // Before the first sync has finished an empty list means "not here yet", never "none".
    let empty = t("hh_none");
    if (app.lastSync == null) empty = t(app.state === "offline" ? "ledger_offline" : "ledger_loading");
    count.textContent = rows.length ? t("hh_count", { n: rows.length }) : empty;
    count.dataset.state = rows.length ? "rows" : (app.lastSync == null ? "loading" : "none");
    list.replaceChildren();
    appendPage();
    // The benchmark's finish line: the household list first on screen (bench/pwa.py).
    if (rows.length && !performance.getEntriesByName("wangge:list").length) {
      performance.mark("wangge:list");
    }
  };

  const more = () => {
    listState.shown += PAGE;
    appendPage();
  };

  search.value = listState.query;
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    // Filtering waits for a pause in typing: the keyboard stays responsive on slow phones.
    timer = setTimeout(() => {
      listState.query = search.value;
      listState.shown = PAGE;
      draw();
    }, 150);
  });
  for (const chip of $$(node, ".chip")) {
    chip.setAttribute("aria-pressed", String(listState.filters.has(chip.dataset.filter)));
    chip.addEventListener("click", () => {
      const on = !listState.filters.has(chip.dataset.filter);
      if (on) listState.filters.add(chip.dataset.filter);
      else listState.filters.delete(chip.dataset.filter);
      chip.setAttribute("aria-pressed", String(on));
      listState.shown = PAGE;
      draw();
    });
  }
  moreButton.addEventListener("click", more);
  if ("IntersectionObserver" in window) {
    observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && list.childElementCount < rows.length) more();
    }, { rootMargin: "400px" });
    observer.observe(moreButton);
  }
  draw();
  return { node, refresh: draw };
}

function personRow(app, p) {
  const frag = tpl("t-person-row");
  fill(frag, { name: p.name, relation: p.relation, id_number: rules.maskIdNumber(p.id_number),
    phone: rules.maskPhone(p.phone) });
  const a = $(frag, "a");
  a.href = `#/p/${encodeURIComponent(p.id)}`;
  const cat = $(frag, '[data-b="category"]');
  const measure = $(frag, '[data-b="measure"]');
  const cert = $(frag, '[data-b="cert"]');
  if (p.category && p.category !== "resident") {
    cat.textContent = label("category", p.category);
    show(cat, true);
    const state = rules.certificateState(p.certificate_date, p.arrival_date, app.model.today());
    if (state !== "valid") {
      cert.textContent = label("certificate", state);
      show(cert, true);
    }
  }
  if (p.measure && p.measure !== "none") {
    measure.textContent = label("measure", p.measure);
    show(measure, true);
  }
  show($(frag, '[data-b="pending"]'), app.model.pendingFor("persons", p.id));
  return frag;
}

export function household(app, id) {
  const node = document.createElement("div");
  const draw = () => {
    const h = app.model.get("households", id);
    if (!h) {
      node.replaceChildren(Object.assign(document.createElement("p"),
        { className: "empty", textContent: t("not_found") }));
      return;
    }
    const frag = tpl("t-household");
    fill(frag, { head_name: h.head_name, doorplate: h.doorplate, address: h.address,
      phone: rules.maskPhone(h.phone), visit_state: label("visit_state", app.model.visitState(id)) });
    const base = `#/h/${encodeURIComponent(id)}`;
    $(frag, '[data-link="visit"]').href = `${base}/visit`;
    $(frag, '[data-link="add-person"]').href = `${base}/p/new`;
    $(frag, '[data-link="edit"]').href = `${base}/edit`;
    const members = $(frag, "#members");
    for (const p of app.model.members(id)) members.append(personRow(app, p));
    const visits = $(frag, "#visits");
    for (const v of app.model.visits(id)) {
      const row = tpl("t-visit-row");
      fill(row, { when: fmtTime(Date.parse(v.visited_at), app.tz),
        outcome: label("outcome", v.outcome) });
      show($(row, '[data-b="pending"]'), app.model.pendingFor("visits", v.id));
      visits.append(row);
    }
    node.replaceChildren(frag);
  };
  draw();
  return { node, refresh: draw };
}
