// The store contract: one suite, run in the browser against every implementation
// (IndexedDB and the in-memory twin). run(makeStore) -> {results, trace}; each case also
// records what it observed, and the pytest side asserts the traces are equal.

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);

// JSON with sorted keys: field order is not part of the contract
function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]));
  }
  return v;
}

function eq(actual, expected, what) {
  const a = JSON.stringify(canon(actual));
  const e = JSON.stringify(canon(expected));
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

function ok(cond, what) {
  if (!cond) throw new Error(what);
}

const strip = (e) => {
  // ids and seqs are made per store: compare shapes, not random values
  const { id: _id, seq: _seq, hlc: _hlc, at: _at, ...rest } = e;
  return rest;
};

const cases = {
  async "an empty store holds nothing"(s, log) {
    eq(await s.all("households"), [], "all");
    eq(await s.pendingCount(), 0, "pending");
    eq(await s.outbox(), [], "outbox");
    eq(await s.rejected(), [], "rejected");
    eq((await s.getMeta("cursor")) ?? null, null, "cursor");
    eq((await s.view("households", "h1")) ?? null, null, "view");
    log("empty");
  },

  async "snapshot records round-trip, sorted by id"(s, log) {
    await s.putRecords("households", [
      { id: "b", rev: 2, head_name: "乙" }, { id: "a", rev: 1, head_name: "甲" },
    ]);
    await s.putRecords("areas", [{ id: 10, rev: 1, name: "组" }, { id: 2, rev: 1, name: "村" }]);
    const all = await s.all("households");
    eq(all.map((r) => r.id), ["a", "b"], "order");
    eq(await s.get("households", "b"), { id: "b", rev: 2, head_name: "乙" }, "get");
    eq((await s.all("areas")).map((r) => r.id), [2, 10], "numeric ids");
    eq(await s.count("households"), 2, "count");
    eq((await s.get("persons", "a")) ?? null, null, "other collection");
    log(all);
  },

  async "values are copies, not shared references"(s, log) {
    const rec = { id: "a", rev: 1, tags: ["x"] };
    await s.putRecords("households", [rec]);
    rec.tags.push("y");
    const got = await s.get("households", "a");
    got.tags.push("z");
    eq((await s.get("households", "a")).tags, ["x"], "stored copy");
    log(got);
  },

  async "enqueue stamps id, hlc, time and keeps order"(s, log) {
    await s.setMeta("device", { device_id: "abcdef12-0000-4000-8000-000000000000", token: "t" });
    const a = await s.enqueue({ col: "visits", rid: "v1", op: "put", data: { outcome: "visited" } },
      { now: T0 });
    const b = await s.enqueue({ col: "visits", rid: "v2", op: "put", data: { outcome: "refused" } },
      { now: T0 });
    ok(/^[0-9a-f-]{36}$/.test(a.id) && a.id !== b.id, "uuid ids");
    eq(a.hlc, `${T0}:0000:abcdef12`, "first hlc");
    eq(b.hlc, `${T0}:0001:abcdef12`, "same-ms hlc counts up");
    ok(b.seq > a.seq, "seq increases");
    const out = await s.outbox();
    eq(out.map((e) => e.rid), ["v1", "v2"], "outbox order");
    eq(out.map(strip), [strip(a), strip(b)], "outbox entries");
    eq(a.base, null, "new record has no base");
    eq(await s.pendingCount(), 2, "pending");
    log(out.map(strip));
  },

  async "the hlc never goes back with the phone's clock"(s, log) {
    await s.setMeta("device", { device_id: "00000001-0000-4000-8000-000000000000", token: "t" });
    const a = await s.enqueue({ col: "checks", rid: "c1", data: {} }, { now: T0 + 5000 });
    const b = await s.enqueue({ col: "checks", rid: "c2", data: {} }, { now: T0 });
    ok(b.hlc > a.hlc, `${b.hlc} > ${a.hlc}`);
    eq(b.at, T0, "at is the device wall time");
    await s.setMeta("clock_offset", 60000);
    const c = await s.enqueue({ col: "checks", rid: "c3", data: {} }, { now: T0 + 70000 });
    eq(c.hlc.slice(0, 13), String(T0 + 10000).padStart(13, "0"), "offset-corrected wall");
    log([a.hlc, b.hlc, c.hlc]);
  },

  async "the view is the snapshot with the outbox replayed on top"(s, log) {
    await s.putRecords("persons", [
      { id: "p1", rev: 5, name: "张三", measure: "none", phone: "1" },
      { id: "p2", rev: 6, name: "李四", measure: "none" },
    ]);
    await s.enqueue({ col: "persons", rid: "p1", base: 5, data: { measure: "home_quarantine" } });
    await s.enqueue({ col: "persons", rid: "p3", data: { name: "王五", measure: "none" } });
    await s.enqueue({ col: "persons", rid: "p2", op: "del", base: 6 });
    const p1 = await s.view("persons", "p1");
    eq(p1, { id: "p1", rev: 5, name: "张三", measure: "home_quarantine", phone: "1", _pending: true },
      "edited");
    eq((await s.get("persons", "p1")).measure, "none", "snapshot untouched");
    eq((await s.view("persons", "p2")) ?? null, null, "deleted in view");
    const all = await s.viewAll("persons");
    eq(all.map((r) => [r.id, r.name]), [["p1", "张三"], ["p3", "王五"]], "viewAll");
    log(all);
  },

  async "an unsent edit absorbs the next edit of the same record"(s, log) {
    const a = await s.enqueue({ col: "households", rid: "h1", base: 3, data: { phone: "1" } },
      { now: T0 });
    const b = await s.enqueue({ col: "households", rid: "h1", base: 3, data: { notes: "n" } },
      { now: T0 + 1 });
    eq(b.id, a.id, "same mutation");
    const out = await s.outbox();
    eq(out.length, 1, "one entry");
    eq(out[0].data, { phone: "1", notes: "n" }, "merged data");
    ok(out[0].hlc > a.hlc, "newer clock");
    eq(out[0].base, 3, "base kept");
    log(out.map(strip));
  },

  async "a sent edit is never changed: the next edit is a new entry"(s, log) {
    await s.enqueue({ col: "households", rid: "h1", base: 3, data: { phone: "1" } });
    await s.enqueue({ col: "households", rid: "h2", base: 4, data: { phone: "2" } });
    const batch = await s.takeBatch(1);
    eq(batch.map((e) => [e.rid, e.sent]), [["h1", true]], "batch");
    await s.enqueue({ col: "households", rid: "h1", base: 3, data: { phone: "9" } });
    await s.enqueue({ col: "households", rid: "h2", base: 4, data: { notes: "x" } });
    const out = await s.outbox();
    eq(out.map((e) => [e.rid, e.sent, e.data]),
      [["h1", true, { phone: "1" }], ["h2", false, { phone: "2", notes: "x" }],
        ["h1", false, { phone: "9" }]], "entries");
    log(out.map(strip));
  },

  async "takeBatch returns the oldest entries, at most limit"(s, log) {
    for (let i = 0; i < 5; i++) await s.enqueue({ col: "visits", rid: `v${i}`, data: { i } });
    const batch = await s.takeBatch(3);
    eq(batch.map((e) => e.rid), ["v0", "v1", "v2"], "oldest first");
    eq((await s.outbox()).map((e) => e.sent), [true, true, true, false, false], "marked");
    log(batch.map(strip));
  },

  async "applied: the entry leaves and the record takes the data and the rev"(s, log) {
    await s.putRecords("persons", [{ id: "p1", rev: 5, name: "张三", measure: "none" }]);
    const a = await s.enqueue({ col: "persons", rid: "p1", base: 5, data: { measure: "home_quarantine" } });
    await s.takeBatch(10);
    const b = await s.enqueue({ col: "persons", rid: "p1", base: 5, data: { notes: "later" } });
    const c = await s.enqueue({ col: "visits", rid: "v1", data: { outcome: "visited" } });
    const summary = await s.applySync({
      cursor: "c1", results: [{ id: a.id, status: "applied", rev: 9 }],
    });
    eq(await s.get("persons", "p1"), { id: "p1", rev: 9, name: "张三", measure: "home_quarantine" },
      "record");
    const out = await s.outbox();
    eq(out.map((e) => [e.id, e.base]), [[b.id, 9], [c.id, null]], "later edit rebased on rev 9");
    eq(await s.getMeta("cursor"), "c1", "cursor");
    eq([summary.applied, summary.collections], [1, ["persons"]], "summary");
    log({ summary, out: out.map(strip) });
  },

  async "applied new record lands in the snapshot"(s, log) {
    const a = await s.enqueue({ col: "visits", rid: "v1", data: { outcome: "visited", household_id: "h1" } });
    await s.takeBatch(10);
    await s.applySync({ cursor: "c1", results: [{ id: a.id, status: "applied", rev: 3 }] });
    eq(await s.get("visits", "v1"), { id: "v1", outcome: "visited", household_id: "h1", rev: 3 }, "rec");
    eq(await s.pendingCount(), 0, "outbox empty");
    log(await s.all("visits"));
  },

  async "applied with set: the server's additions complete our record"(s, log) {
    const a = await s.enqueue({ col: "visits", rid: "v2", data: { outcome: "visited", household_id: "h1" } });
    await s.takeBatch(10);
    await s.applySync({ cursor: "c2", results: [
      { id: a.id, status: "applied", rev: 4, set: { area_id: 7, notes: "" } },
    ] });
    eq(await s.get("visits", "v2"),
      { id: "v2", outcome: "visited", household_id: "h1", area_id: 7, notes: "", rev: 4 }, "rec");
    log(await s.all("visits"));
  },

  async "first sync: our applied writes wait for the snapshot"(s, log) {
    const a = await s.enqueue({ col: "visits", rid: "v3", data: { outcome: "visited" } });
    await s.takeBatch(10);
    await s.applySync({ cursor: "c3", results: [{ id: a.id, status: "applied", rev: 5 }] },
      { firstSync: true });
    eq((await s.get("visits", "v3")) ?? null, null, "not confirmed from our own data");
    eq(await s.pendingCount(), 0, "outbox empty");
    log(await s.all("visits"));
  },

  async "merged and conflict: the entry leaves and the server's record replaces ours"(s, log) {
    await s.putRecords("persons", [{ id: "p1", rev: 5, name: "张三", measure: "none", notes: "" }]);
    const a = await s.enqueue({ col: "persons", rid: "p1", base: 5, data: { notes: "mine" } });
    const b = await s.enqueue({ col: "persons", rid: "p2", base: 1, data: { measure: "hospital" } });
    await s.takeBatch(10);
    const summary = await s.applySync({
      cursor: "c2",
      results: [{ id: a.id, status: "merged" }, { id: b.id, status: "conflict", held: ["measure"] }],
      changes: {
        persons: { cols: ["id", "rev", "name", "measure", "notes"], rows: [
          ["p1", 11, "张三", "none", "theirs"], ["p2", 12, "李四", "home_quarantine", ""]] },
        conflicts: { cols: ["id", "rev", "collection", "record_id", "field", "status"], rows: [
          ["k1", 13, "persons", "p2", "measure", "pending"]] },
      },
    });
    eq(await s.pendingCount(), 0, "outbox empty");
    eq((await s.view("persons", "p1")).notes, "theirs", "server value");
    eq((await s.get("conflicts", "k1")).status, "pending", "conflict record");
    eq([summary.merged, summary.conflict, summary.changed], [1, 1, 3], "summary");
    log(await s.viewAll("persons"));
  },

  async "rejected: moved to the rejected list with its reason"(s, log) {
    const a = await s.enqueue({ col: "persons", rid: "p9", data: { name: "X" } }, { now: T0 });
    await s.takeBatch(10);
    await s.applySync({ cursor: "c3", results: [
      { id: a.id, status: "rejected", code: "out_of_scope", message: "outside your area" }] });
    eq(await s.pendingCount(), 0, "not pending");
    eq((await s.view("persons", "p9")) ?? null, null, "not shown as data");
    const rej = await s.rejected();
    eq(rej.map((r) => [r.id, r.code, r.message, r.data]),
      [[a.id, "out_of_scope", "outside your area", { name: "X" }]], "rejected");
    const exported = await s.exportUnsynced();
    eq(exported.rejected.length, 1, "exported");
    await s.dismissRejected(a.id);
    eq(await s.rejected(), [], "dismissed");
    log(rej.map((r) => [r.code, r.data]));
  },

  async "changes and removals apply; a stale change never steps a record back"(s, log) {
    await s.putRecords("households", [{ id: "h1", rev: 7, head_name: "新" }, { id: "h2", rev: 2 }]);
    await s.applySync({
      cursor: "c4",
      changes: { households: { cols: ["id", "rev", "head_name"], rows: [
        ["h1", 6, "旧"], ["h3", 8, "三"]] } },
      removed: { households: ["h2"] },
    });
    eq((await s.all("households")).map((r) => [r.id, r.rev, r.head_name]),
      [["h1", 7, "新"], ["h3", 8, "三"]], "records");
    eq(await s.getMeta("cursor"), "c4", "cursor");
    log(await s.all("households"));
  },

  async "unknown results are ignored"(s, log) {
    const a = await s.enqueue({ col: "visits", rid: "v1", data: {} });
    const summary = await s.applySync({ cursor: "c", results: [
      { id: "00000000-0000-4000-8000-000000000000", status: "applied", rev: 1 }] });
    eq(summary.unknown, 1, "counted");
    eq((await s.outbox()).map((e) => e.id), [a.id], "outbox kept");
    log(summary);
  },

  async "reset drops the snapshot and cursor, keeps the outbox"(s, log) {
    await s.putRecords("households", [{ id: "h1", rev: 1 }]);
    await s.setMeta("cursor", "c9");
    const a = await s.enqueue({ col: "households", rid: "h1", base: 1, data: { phone: "5" } });
    const b = await s.enqueue({ col: "visits", rid: "v1", data: {} });
    await s.takeBatch(1);
    const summary = await s.applySync({ cursor: "ignored", reset: "scope", results: [
      { id: a.id, status: "applied", rev: 4 }] });
    eq(summary.reset, "scope", "summary");
    eq(await s.all("households"), [], "snapshot dropped");
    eq((await s.getMeta("cursor")) ?? null, null, "cursor dropped");
    eq((await s.outbox()).map((e) => e.id), [b.id], "outbox kept");
    await s.setMeta("cursor", "x");
    await s.resetSnapshot();
    eq((await s.getMeta("cursor")) ?? null, null, "resetSnapshot");
    eq(await s.pendingCount(), 1, "still pending");
    log(summary);
  },

  async "a failed unit of work leaves nothing behind"(s, log) {
    await s.putRecords("persons", [{ id: "p1", rev: 1, name: "A" }]);
    const a = await s.enqueue({ col: "persons", rid: "p1", base: 1, data: { name: "B" } });
    await s.takeBatch(10);
    s.failNextTx();
    let failed = false;
    try {
      await s.applySync({ cursor: "c5", results: [{ id: a.id, status: "applied", rev: 2 }],
        changes: { persons: { cols: ["id", "rev", "name"], rows: [["p2", 3, "C"]] } } });
    } catch {
      failed = true;
    }
    ok(failed, "the crash surfaced");
    eq(await s.pendingCount(), 1, "entry kept");
    eq(await s.all("persons"), [{ id: "p1", rev: 1, name: "A" }], "snapshot unchanged");
    eq((await s.getMeta("cursor")) ?? null, null, "cursor unchanged");
    // the retry of the same response then applies exactly once
    await s.applySync({ cursor: "c5", results: [{ id: a.id, status: "applied", rev: 2 }] });
    await s.applySync({ cursor: "c5", results: [{ id: a.id, status: "applied", rev: 2 }] });
    eq(await s.get("persons", "p1"), { id: "p1", rev: 2, name: "B" }, "applied once");
    log(await s.all("persons"));
  },

  async "deletes: view hides at once, applied removes from the snapshot"(s, log) {
    await s.putRecords("tests", [{ id: "t1", rev: 1, result: "pending" }]);
    const a = await s.enqueue({ col: "tests", rid: "t1", op: "del", base: 1 });
    eq(await s.viewAll("tests"), [], "hidden");
    eq(a.data, {}, "no data");
    await s.takeBatch(10);
    await s.applySync({ cursor: "c6", results: [{ id: a.id, status: "applied", rev: 5 }] });
    eq(await s.all("tests"), [], "gone");
    log("deleted");
  },

  async "meta keeps structured values"(s, log) {
    await s.setMeta("device", { device_id: "d", token: "t", user: { id: 3, name: "网格员" } });
    eq(await s.getMeta("device"), { device_id: "d", token: "t", user: { id: 3, name: "网格员" } },
      "device");
    await s.setMeta("last_sync", T0);
    eq(await s.getMeta("last_sync"), T0, "number");
    log(await s.getMeta("device"));
  },
};

export async function run(makeStore) {
  const results = [];
  const trace = {};
  let n = 0;
  for (const [name, body] of Object.entries(cases)) {
    n += 1;
    const store = await makeStore(`contract-${n}-${Math.random().toString(36).slice(2)}`);
    const seen = [];
    try {
      await body(store, (v) => seen.push(canon(JSON.parse(JSON.stringify(v ?? null)))));
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, error: String(err && err.stack ? err.stack : err) });
    } finally {
      store.close();
    }
    trace[name] = seen;
  }
  return { results, trace };
}
