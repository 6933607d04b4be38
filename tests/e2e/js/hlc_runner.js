// Runs tests/e2e/data/hlc_cases.json against web/static/js/hlc.js, the port of
// wangge_protocol/hlc.py. Clocks in the table are text; the app keeps {wall, counter} and
// formats with the device's node, so each call parses its inputs and formats its result.
import { formatHlc, parseHlc, receive, tick } from "/static/js/hlc.js";

const ZERO = "";
const state = (text) => (text === ZERO ? null : parseHlc(text));
const text = (s, node) => formatHlc(s.wall, s.counter, node);

const CALLS = {
  tick: (last, now, node) => text(tick(state(last), now), node),
  receive: (last, remote, now, node) => {
    if (remote === ZERO) return text(tick(state(last), now), node);
    const r = parseHlc(remote);
    return text(receive(state(last), r.wall, now, r.counter), node);
  },
  // The app compares stamps as strings: what it formats must order as the clocks do.
  compare: (a, b) => {
    const [x, y] = [a, b].map((t) => (t === ZERO ? ZERO : text(parseHlc(t), parseHlc(t).node)));
    return (x > y) - (x < y);
  },
  parse: (t) => {
    const p = parseHlc(t);
    return [p.wall, p.counter, p.node];
  },
};

export function run(cases) {
  const failures = [];
  for (const c of cases) {
    let got;
    try {
      got = CALLS[c.fn](...c.args);
    } catch (err) {
      got = `error: ${err}`;
    }
    if (JSON.stringify(got) !== JSON.stringify(c.expected)) {
      failures.push({ fn: c.fn, args: c.args, why: c.why, expected: c.expected, got });
    }
  }
  return { count: cases.length, fns: Object.keys(CALLS), failures };
}
