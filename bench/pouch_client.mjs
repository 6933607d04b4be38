// PouchDB 9 (memory adapter) replicating one grid with pouchdb-server, for bench/pouch.py.
// argv: remote db URL (through the counting proxy), path of the scenario JSON. Between
// scenarios it prints "phase <name> <requests> <ms>" and waits for a line on stdin, so the
// Python side can read the proxy's byte counters at each boundary.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import PouchDB from "pouchdb";
import memory from "pouchdb-adapter-memory";

PouchDB.plugin(memory);
const [remoteUrl, scenarioPath] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioPath, "utf8"));
let requests = 0;
const remote = new PouchDB(remoteUrl, {
  fetch: (url, opts) => { requests += 1; return PouchDB.fetch(url, opts); },
});
const local = new PouchDB("grid", { adapter: "memory" });
const lines = createInterface({ input: process.stdin });
const next = () => new Promise((resolve) => lines.once("line", resolve));

async function phase(name, work) {
  const before = requests;
  const started = performance.now();
  await work();
  console.log(`phase ${name} ${requests - before} ${(performance.now() - started).toFixed(1)}`);
  await next();
}

// both directions from the start, as an app would (a first push after a pull-only
// replication would offer every pulled document back to the server)
await phase("first_load", () => local.sync(remote, { batch_size: 100 }));
for (const doc of scenario.day_up) {
  const old = await local.get(doc._id).catch(() => null);
  await local.put(old ? { ...old, ...doc, _rev: old._rev } : doc);
}
console.log("ready day");
await next();  // the Python side writes the colleague's 20 docs straight to the server
await phase("day", () => local.sync(remote, { batch_size: 100 }));
await phase("idle", () => local.sync(remote, { batch_size: 100 }));
lines.close();
