// The sync client against a scripted server (a fake fetch) and the in-memory store: the
// protocol's branches that a live server seldom takes (reset, more, 426, 401, 413, gzip).
import { MemoryStore } from "/static/js/store/memory.js";
import { SyncClient, SyncError } from "/static/js/sync.js";

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

function fakeServer(answers) {
  const seen = [];
  const fetch = async (url, init) => {
    const gz = init.headers["Content-Encoding"] === "gzip";
    const text = gz ? await gunzip(init.body) : init.body;
    const body = JSON.parse(text);
    seen.push({ url, gz, auth: init.headers.Authorization, body, bytes: gz ? init.body.length : text.length });
    const next = answers.shift();
    if (!next) throw new TypeError("no more answers");
    if (next.throw) throw new TypeError(next.throw);
    const result = typeof next.json === "function" ? next.json(body) : next.json;
    return new Response(JSON.stringify(result), { status: next.status || 200,
      headers: { "Content-Type": "application/json" } });
  };
  return { fetch, seen };
}

const ok = (extra) => ({ json: (b) => ({ protocol: 1, server_time: Date.now(), cursor: "c",
  results: b.mutations.map((m) => ({ id: m.id, status: "applied", rev: 10 })), ...extra }) });

async function signedIn() {
  const store = new MemoryStore("sync-test");
  await store.setMeta("device", { device_id: "12345678-0000-4000-8000-000000000000", token: "tok" });
  return store;
}

const cases = {
  async "a small body goes plain, a large one gzipped, with the bearer token"() {
    const store = await signedIn();
    await store.enqueue({ col: "visits", rid: "v1", data: { notes: "x" } });
    const { fetch, seen } = fakeServer([ok(), ok()]);
    await new SyncClient({ store, appVersion: "t", fetch }).run();
    for (let i = 0; i < 40; i++) {
      await store.enqueue({ col: "visits", rid: `w${i}`, data: { notes: "长".repeat(30) } });
    }
    await new SyncClient({ store, appVersion: "t", fetch }).run();
    if (seen[0].gz || !seen[1].gz) throw new Error(`gzip flags ${seen[0].gz} ${seen[1].gz}`);
    if (seen[0].auth !== "Bearer tok") throw new Error("no token");
    if (seen[1].body.mutations.length !== 40) throw new Error("not all sent");
    if (await store.pendingCount() !== 0) throw new Error("not acknowledged");
    const m = seen[0].body.mutations[0];
    if (!/^\d{13}:[0-9a-f]{4}:12345678$/.test(m.hlc) || m.sent !== undefined || m.seq !== undefined) {
      throw new Error(`wire mutation ${JSON.stringify(m)}`);
    }
    if (seen[0].body.first === null || seen[1].body.first !== null) throw new Error("first");
    return { plain: seen[0].bytes, gzipped: seen[1].bytes };
  },

  async "more and reset loop at once; reset keeps the outbox"() {
    const store = await signedIn();
    await store.putRecords("households", [{ id: "old", rev: 1 }]);
    await store.setMeta("cursor", "c0");
    const e = await store.enqueue({ col: "households", rid: "h1", data: { head_name: "甲" } });
    const { fetch, seen } = fakeServer([
      { json: { protocol: 1, server_time: Date.now(), cursor: "x", reset: "scope", results: [] } },
      { json: { protocol: 1, server_time: Date.now(), cursor: "p1", more: true, remaining: 1,
        results: [{ id: e.id, status: "applied", rev: 5 }],
        // a first sync's snapshot brings our own new record too (we do not confirm it
        // from our data on a cursor-null answer)
        changes: { households: { cols: ["id", "rev", "head_name"],
          rows: [["h1", 5, "甲"], ["h2", 3, "乙"]] } } } },
      { json: { protocol: 1, server_time: Date.now(), cursor: "p2",
        changes: { households: { cols: ["id", "rev", "head_name"], rows: [["h3", 4, "丙"]] } } } },
    ]);
    const progress = [];
    const total = await new SyncClient({ store, appVersion: "t", fetch,
      onProgress: (p) => progress.push(p.remaining) }).run();
    const ids = (await store.all("households")).map((r) => r.id).join(",");
    if (ids !== "h1,h2,h3") throw new Error(`records ${ids}`);
    if (seen[1].body.cursor !== null || seen[1].body.mutations.length !== 1) {
      throw new Error("after a reset the outbox is sent again with cursor null");
    }
    if (seen[2].body.cursor !== "p1") throw new Error("more: next page with the new cursor");
    if (await store.getMeta("cursor") !== "p2") throw new Error("cursor");
    if (total.resets !== 1 || total.rounds !== 3) throw new Error(JSON.stringify(total));
    return { progress };
  },

  async "426 and 401 stop the sync and keep the outbox"() {
    const store = await signedIn();
    await store.enqueue({ col: "visits", rid: "v1", data: {} });
    const kinds = [];
    for (const [status, code] of [[426, "schema_outdated"], [401, "device_revoked"], [503, "unavailable"]]) {
      const { fetch } = fakeServer([{ status, json: { error: { code, message: code } } }]);
      try {
        await new SyncClient({ store, appVersion: "t", fetch }).run();
      } catch (err) {
        if (!(err instanceof SyncError)) throw err;
        kinds.push([err.kind, err.detail.code]);
      }
    }
    if (await store.pendingCount() !== 1) throw new Error("outbox lost");
    return kinds;
  },

  async "413 retries with smaller batches; a network error is 'offline'"() {
    const store = await signedIn();
    for (let i = 0; i < 8; i++) await store.enqueue({ col: "visits", rid: `v${i}`, data: {} });
    const { fetch, seen } = fakeServer([
      { status: 413, json: { error: { code: "body_too_large" } } }, ok(), ok(), ok(), ok(), ok(),
    ]);
    await new SyncClient({ store, appVersion: "t", fetch }).run();
    const sizes = seen.map((s) => s.body.mutations.length);
    if (await store.pendingCount() !== 0) throw new Error("not all sent");
    const { fetch: down } = fakeServer([{ throw: "Failed to fetch" }]);
    await store.enqueue({ col: "visits", rid: "late", data: {} });
    let kind = null;
    try {
      await new SyncClient({ store, appVersion: "t", fetch: down }).run();
    } catch (err) {
      kind = err.kind;
    }
    if (kind !== "offline" || await store.pendingCount() !== 1) throw new Error(`kind ${kind}`);
    return sizes;
  },
};

export async function run() {
  const out = [];
  for (const [name, body] of Object.entries(cases)) {
    try {
      out.push({ name, ok: true, value: await body() });
    } catch (err) {
      out.push({ name, ok: false, error: String(err && err.stack ? err.stack : err) });
    }
  }
  return out;
}
