// Recording one local edit in the outbox, shared by both store implementations.
// tx: outboxForRid(col, rid), putOutbox(entry), addOutbox(entry) -> seq, getMeta, setMeta.

import { formatHlc, nodeOf, tick } from "../hlc.js";
import { orderedId, uuid4 } from "../uuid.js";

async function nodeFor(tx) {
  const device = await tx.getMeta("device");
  if (device && device.device_id) return nodeOf(device.device_id);
  let node = await tx.getMeta("node");
  if (!node) {
    node = nodeOf(uuid4());
    await tx.setMeta("node", node);
  }
  return node;
}

// mutation: {col, rid, op, base, data}; options.now: wall ms (tests pin it).
export async function enqueueCore(tx, mutation, options = {}) {
  const now = options.now ?? Date.now();
  // The clock the server measured for this phone corrects the HLC, so a phone days off
  // neither wins every concurrent edit nor always loses.
  const offset = (await tx.getMeta("clock_offset")) || 0;
  const clock = tick(await tx.getMeta("hlc"), now - offset);
  await tx.setMeta("hlc", clock);
  const hlc = formatHlc(clock.wall, clock.counter, await nodeFor(tx));
  const data = { ...(mutation.data || {}) };
  const op = mutation.op || "put";

  if (op === "put") {
    const same = await tx.outboxForRid(mutation.col, mutation.rid);
    const last = same[same.length - 1];
    // An entry never sent can absorb this edit: one mutation, same id, newer clock. A sent
    // one cannot: the server may already hold it under its id with the old data.
    if (last && !last.sent && last.op === "put") {
      const merged = { ...last, data: { ...last.data, ...data }, hlc, at: now };
      await tx.putOutbox(merged);
      return merged;
    }
  }
  const entry = {
    id: mutation.id || orderedId(),
    col: mutation.col,
    rid: mutation.rid,
    op,
    base: mutation.base ?? null,
    hlc,
    at: now,
    data: op === "del" ? {} : data,
    sent: false,
  };
  entry.seq = await tx.addOutbox(entry);
  return entry;
}
