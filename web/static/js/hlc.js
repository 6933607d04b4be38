// Hybrid logical clock of one device (docs/sync-protocol.md, "Mutation").
// Text form WWWWWWWWWWWWW:CCCC:NNNNNNNN (13-digit wall ms, 4-hex counter, 8-hex node) so the
// server and every phone compare two stamps as plain strings.
// A port of wangge_protocol/hlc.py: tests/e2e/data/hlc_cases.json is run against both.

const MAX_COUNTER = 0xffff;

export function formatHlc(wall, counter, node) {
  return `${String(Math.max(0, Math.floor(wall))).padStart(13, "0")}:` +
    `${counter.toString(16).padStart(4, "0")}:${node}`;
}

export function parseHlc(text) {
  const [wall, counter, node] = String(text).split(":");
  return { wall: Number(wall), counter: parseInt(counter, 16), node };
}

// The node is the first 8 hex digits of the device id (lower case, no dashes).
export function nodeOf(deviceId) {
  const hex = String(deviceId || "").replace(/[^0-9a-fA-F]/g, "").toLowerCase();
  return (hex + "00000000").slice(0, 8);
}

// A counter past 4 hex digits carries into the wall time: the text stays fixed-width (the
// server refuses a fifth digit) and the clock monotone, at the cost of running 1 ms ahead.
function bounded(wall, counter) {
  return counter > MAX_COUNTER ? { wall: wall + 1, counter: 0 } : { wall, counter };
}

// A local event: the wall part never goes back, even when the phone's clock does.
export function tick(state, physical) {
  const prev = state || { wall: 0, counter: 0 };
  if (physical > prev.wall) return { wall: physical, counter: 0 };
  return bounded(prev.wall, prev.counter + 1);
}

// A clock heard from elsewhere (the server's time at sync, counter 0): the result is past
// both our last stamp and the remote clock, so we never stamp below what we have seen.
export function receive(state, remoteWall, physical, remoteCounter = 0) {
  const prev = state || { wall: 0, counter: 0 };
  const wall = Math.max(prev.wall, remoteWall, physical);
  let counter = 0;
  if (wall === prev.wall && wall === remoteWall) {
    counter = Math.max(prev.counter, remoteCounter) + 1;
  } else if (wall === prev.wall) {
    counter = prev.counter + 1;
  } else if (wall === remoteWall) {
    counter = remoteCounter + 1;
  }
  return bounded(wall, counter);
}
