/**
 * Repeated measurements: medians with their spread, alternating order, and refusal to report
 * a run that has too few samples (a short run would otherwise average its own warm-up).
 */

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `{ median, min, max, runs }` of the values of several runs. */
export function spread(values) {
  if (values.length === 0) throw new Error('no runs to summarise');
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.map((v) => round(v, 3)) };
}

export function round(n, d = 2) {
  return Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : null;
}

export class TooFewSamples extends Error {
  constructor(what, got, need) {
    super(`${what}: ${got} samples after the warm-up, at least ${need} needed — the run is too short or stalled; refusing to report it`);
    this.name = 'TooFewSamples';
  }
}

/** Throws when a run measured fewer than `need` samples. */
export function requireSamples(what, got, need) {
  if (!(got >= need)) throw new TooFewSamples(what, got, need);
}

/**
 * Run `runs` rounds of every side, alternating who goes first (miso first in round 1, the
 * peer first in round 2, …) so neither side always meets the broker warmer or the disk
 * fuller. `sides` is `{ miso: (round) => Promise<T>, peer: (round) => Promise<T> }`;
 * resolves with `{ miso: T[], peer: T[], order: string[][] }`.
 */
export async function alternate(runs, sides, log = () => {}) {
  const names = Object.keys(sides);
  const out = Object.fromEntries(names.map((n) => [n, []]));
  const order = [];
  for (let r = 0; r < runs; r++) {
    const seq = r % 2 === 0 ? names : [...names].reverse();
    order.push(seq);
    for (const n of seq) {
      const v = await sides[n](r);
      out[n].push(v);
      log(`    run ${r + 1}/${runs} ${n}: ${describe(v)}`);
    }
  }
  return { ...out, order };
}

function describe(v) {
  if (typeof v === 'number') return String(round(v, 2));
  return Object.entries(v)
    .filter(([, x]) => typeof x === 'number')
    .map(([k, x]) => `${k} ${round(x, 2)}`)
    .join(', ');
}

/**
 * A figure row for the report: medians with min–max for both sides, the ratio of the medians.
 * `better` says which way is good ('higher' or 'lower').
 */
export function figure(name, unit, misoValues, peerValues, extra = {}) {
  const miso = spread(misoValues);
  const peer = peerValues && peerValues.length ? spread(peerValues) : null;
  return {
    name,
    unit,
    miso: round(miso.median, 2),
    misoMin: round(miso.min, 2),
    misoMax: round(miso.max, 2),
    misoRuns: miso.runs,
    peer: peer ? round(peer.median, 2) : null,
    peerMin: peer ? round(peer.min, 2) : null,
    peerMax: peer ? round(peer.max, 2) : null,
    peerRuns: peer ? peer.runs : null,
    ratio: peer && peer.median ? round(miso.median / peer.median, 2) : null,
    ...extra,
  };
}
