// Hybrid logical clock of one device (docs/sync-protocol.md, "Mutation").
// Text form WWWWWWWWWWWWW:CCCC:NNNNNNNN (13-digit wall ms, 4-hex counter, 8-hex node) so the
// server and every phone compare two stamps as plain strings.

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

// A local event: the wall part never goes back, even when the phone's clock does.
export function tick(state, physical) {
  const prev = state || { wall: 0, counter: 0 };
  if (physical > prev.wall) return { wall: physical, counter: 0 };
  if (prev.counter >= MAX_COUNTER) return { wall: prev.wall + 1, counter: 0 };
  return { wall: prev.wall, counter: prev.counter + 1 };
}

// A timestamp heard from elsewhere (the server's time at sync): never stamp below it.
export function receive(state, remoteWall, physical) {
  const prev = state || { wall: 0, counter: 0 };
  const wall = Math.max(prev.wall, remoteWall, physical);
  if (wall === prev.wall && wall === remoteWall) return { wall, counter: prev.counter + 1 };
  if (wall === prev.wall) return { wall, counter: prev.counter + 1 };
  return { wall, counter: 0 };
}
